/** The RFC 7252 §4 message layer: retransmission schedule and duplicate detection. */
import { describe, expect, it } from "vitest";
import { DEFAULT_TIMING, Dedupe, Outbox, lifetimes } from "./reliability";

describe("RFC 7252 §4.8 timing", () => {
  it("derives EXCHANGE_LIFETIME 247 s and NON_LIFETIME 145 s from the defaults (§4.8.2)", () => {
    expect(lifetimes(DEFAULT_TIMING)).toEqual({ exchangeMs: 247_000, nonMs: 145_000 });
  });

  it.each([
    [0, 2000],
    [1, 3000],
  ])("retransmits after T, 2T, 4T, 8T and gives up 16T later (random %d → T = %d ms, §4.2)", (random, t) => {
    const box = new Outbox<string>(DEFAULT_TIMING, () => random * 0.999999999);
    box.add(7, Uint8Array.of(1), "tag", 0);
    const times: number[] = [];
    let expired = false;
    while (!expired) {
      const at = box.nextDeadline();
      if (at === null) throw new Error("nothing scheduled");
      const due = box.due(at);
      if (due.resend.length > 0) times.push(at);
      expired = due.expired.length > 0;
      if (expired) times.push(at);
    }
    const T = Math.round(times[0]);
    expect(Math.abs(T - t)).toBeLessThanOrEqual(1);
    expect(times.map((x) => Math.round(x / T))).toEqual([1, 3, 7, 15, 31]);
    expect(box.size).toBe(0);
  });

  it("stops retransmitting once settled", () => {
    const box = new Outbox<string>(DEFAULT_TIMING, () => 0);
    box.add(7, Uint8Array.of(1), "n", 0);
    expect(box.settle(7)?.tag).toBe("n");
    expect(box.settle(7)).toBeUndefined();
    expect(box.nextDeadline()).toBeNull();
  });
});

describe("duplicate detection (§4.5)", () => {
  it("knows a message id until it expires, with the reply to replay", () => {
    const d = new Dedupe();
    expect(d.lookup(1, 0)).toBeUndefined();
    d.remember(1, 100, 0);
    expect(d.lookup(1, 50)).toEqual({ expires: 100, reply: null });
    d.answer(1, Uint8Array.of(9));
    expect(d.lookup(1, 99)?.reply).toEqual(Uint8Array.of(9));
    expect(d.lookup(1, 100)).toBeUndefined();
  });

  it("forgets the oldest past its bound", () => {
    const d = new Dedupe(2);
    d.remember(1, 1000, 0);
    d.remember(2, 1000, 0);
    d.remember(3, 1000, 0);
    expect([1, 2, 3].map((id) => d.lookup(id, 1) !== undefined)).toEqual([false, true, true]);
  });
});
