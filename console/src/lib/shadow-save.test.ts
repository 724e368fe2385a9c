/** Saving desired state: a 409 caused by a reported-only change is retried; a desired change is a conflict. */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../protocols/json-value";
import { afterConflict, desiredChanged, saveDesired, type SaveBase, type ShadowNow } from "./shadow-save";

const base: SaveBase = { version: 3, desired: { color: "red", level: { n: 1 } } };
const doc = (version: number, desired?: JsonObject): ShadowNow => ({ version, state: desired ? { desired } : {} });

class Conflict extends Error {}

/** A fake hub stepping through `versions`, one step per read or send; a send naming another version is a 409. */
function hub(versions: ShadowNow[]) {
  const sent: (number | undefined)[] = [];
  let i = 0;
  const now = () => versions[Math.min(i, versions.length - 1)];
  return {
    sent,
    io: {
      send: async (v: number | undefined) => {
        sent.push(v);
        const cur = now();
        i++;
        if (v !== undefined && cur?.version !== v) throw new Conflict("409");
        return { version: (cur?.version ?? 0) + 1 };
      },
      read: async () => {
        const cur = now();
        i++;
        return cur;
      },
      isConflict: (e: unknown) => e instanceof Conflict,
    },
  };
}

describe("afterConflict", () => {
  it("retries at the new version when only reported state moved", () => {
    expect(afterConflict(base, doc(7, { color: "red", level: { n: 1 } }))).toEqual({ retry: true, version: 7 });
  });

  it("is a conflict when desired state changed, even deep inside", () => {
    expect(afterConflict(base, doc(7, { color: "red", level: { n: 2 } }))).toEqual({ retry: false });
    expect(afterConflict(base, doc(7, { color: "white" }))).toEqual({ retry: false });
  });

  it("is a conflict when the version did not move (the 409 had another cause)", () => {
    expect(afterConflict(base, doc(3, { color: "red", level: { n: 1 } }))).toEqual({ retry: false });
  });

  it("treats absent desired as empty, and a deleted shadow as a conflict unless editing began from nothing", () => {
    expect(afterConflict({ version: 1, desired: undefined }, doc(4, {}))).toEqual({ retry: true, version: 4 });
    expect(afterConflict(base, null)).toEqual({ retry: false });
    expect(afterConflict({ version: 2, desired: {} }, null)).toEqual({ retry: true, version: undefined });
  });

  it("desiredChanged agrees with it", () => {
    expect(desiredChanged(base, doc(9, { color: "red", level: { n: 1 } }))).toBe(false);
    expect(desiredChanged(base, doc(9, { color: "blue" }))).toBe(true);
  });
});

describe("saveDesired", () => {
  it("sends once when nothing moved", async () => {
    const h = hub([doc(3, { color: "red", level: { n: 1 } })]);
    await saveDesired(base, h.io);
    expect(h.sent).toEqual([3]);
  });

  it("saves at the new version after a device only reported (two reports meanwhile)", async () => {
    const same = { color: "red", level: { n: 1 } };
    // The device reports between the console's read and its send, twice.
    const h = hub([doc(5, same), doc(6, same), doc(8, same), doc(8, same)]);
    expect(await saveDesired(base, h.io)).toEqual({ version: 9 });
    expect(h.sent).toEqual([3, 6, 8]);
  });

  it("throws the conflict when desired changed meanwhile", async () => {
    const h = hub([doc(4, { color: "white" })]);
    await expect(saveDesired(base, h.io)).rejects.toBeInstanceOf(Conflict);
    expect(h.sent).toEqual([3]);
  });

  it("gives up after a few sends", async () => {
    const same = { color: "red", level: { n: 1 } };
    const h = hub(Array.from({ length: 20 }, (_, i) => doc(4 + i, same)));
    await expect(saveDesired(base, h.io, 3)).rejects.toBeInstanceOf(Conflict);
    expect(h.sent).toHaveLength(3);
  });

  it("passes other errors on untouched", async () => {
    const boom = new Error("500");
    const io = { send: async () => Promise.reject(boom), read: async () => null, isConflict: () => false };
    await expect(saveDesired(base, io)).rejects.toBe(boom);
  });
});
