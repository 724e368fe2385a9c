import { describe, expect, it } from "vitest";
import { MAX_SIGNING_SECRETS, ROTATION_GRACE_MS, rotateSecrets, signingSecrets, type Secret } from "./secrets";

describe("webhook secret rotation", () => {
  it("keeps at most two secrets signing however often it rotates", () => {
    let stored: Secret[] = [{ secret: "s0", expiresAt: null }];
    for (let i = 1; i <= 364; i++) stored = rotateSecrets(stored, `s${i}`, 1_000 + i, ROTATION_GRACE_MS).secrets;
    expect(signingSecrets(stored, 2_000).map((s) => s.secret)).toEqual(["s364", "s363"]);
    expect(stored).toHaveLength(MAX_SIGNING_SECRETS);
  });

  it("gives the replaced secret the grace asked for; 0 ends it at once", () => {
    const start: Secret[] = [{ secret: "a", expiresAt: null }];
    expect(rotateSecrets(start, "b", 1_000, 60_000)).toEqual({
      secrets: [
        { secret: "b", expiresAt: null },
        { secret: "a", expiresAt: 61_000 },
      ],
      previousExpiresAt: 61_000,
    });
    expect(rotateSecrets(start, "b", 1_000, 0)).toEqual({ secrets: [{ secret: "b", expiresAt: null }], previousExpiresAt: 1_000 });
  });

  it("ends the previous secret of the last rotation at the next one", () => {
    const once = rotateSecrets([{ secret: "a", expiresAt: null }], "b", 1_000, ROTATION_GRACE_MS).secrets;
    const twice = rotateSecrets(once, "c", 2_000, ROTATION_GRACE_MS).secrets;
    expect(twice.map((s) => s.secret)).toEqual(["c", "b"]);
    // A leaked secret: rotating with no grace leaves only the fresh one, the earlier previous included.
    expect(rotateSecrets(once, "c", 2_000, 0).secrets).toEqual([{ secret: "c", expiresAt: null }]);
  });

  it("signs with the newest two of a store written before the bound, and none expired", () => {
    const old: Secret[] = [
      { secret: "d", expiresAt: null },
      { secret: "c", expiresAt: 9_000 },
      { secret: "b", expiresAt: 9_000 },
      { secret: "a", expiresAt: 9_000 },
    ];
    expect(signingSecrets(old, 5_000).map((s) => s.secret)).toEqual(["d", "c"]);
    expect(signingSecrets(old, 9_000).map((s) => s.secret)).toEqual(["d"]);
  });
});
