/** Pacing: the due count over time, and the round-robin's fairness. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RoundRobin, due } from "./pace";

describe("due", () => {
  it.each([
    [200, 0, 0, 0],
    [200, 1000, 0, 200],
    [200, 1000, 150, 50],
    [200, 1000, 250, 0],
    [0.5, 1999, 0, 0],
    [0.5, 2000, 0, 1],
    [3, 10_000, 29, 1],
  ])("rate %d at %d ms with %d sent: %d", (rate, ms, sent, expected) => {
    expect(due(rate, ms, sent)).toBe(expected);
  });

  it("sends exactly floor(rate · t) in all, however the ticks fall", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 60 }), (rate, ticks) => {
        let t = 0;
        let sent = 0;
        for (const dt of ticks) {
          t += dt;
          sent += due(rate, t, sent);
        }
        expect(sent).toBe(Math.floor((rate * t) / 1000));
      }),
    );
  });
});

describe("RoundRobin", () => {
  it("takes turns, skips what is not ready, and says when nothing is", () => {
    const rr = new RoundRobin(["a", "b", "c"]);
    expect([rr.pick(() => true), rr.pick(() => true), rr.pick(() => true), rr.pick(() => true)]).toEqual(["a", "b", "c", "a"]);
    expect(rr.pick((x) => x !== "b")).toBe("c");
    expect(rr.pick(() => false)).toBeNull();
    expect(new RoundRobin<string>([]).pick(() => true)).toBeNull();
  });

  it("gives every ready device the same share, give or take one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 500 }), (n, picks) => {
        const rr = new RoundRobin(Array.from({ length: n }, (_, i) => i));
        const counts = new Array<number>(n).fill(0);
        for (let i = 0; i < picks; i++) counts[rr.pick(() => true)!]!++;
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });
});
