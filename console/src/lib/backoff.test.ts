/** Reconnect delays: doubling from 0.5 s, capped at 15 s, always within ±25 %. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { backoff } from "./backoff";

describe("backoff", () => {
  it.each([
    [0, 500],
    [1, 1_000],
    [4, 8_000],
    [5, 15_000],
    [40, 15_000],
  ])("attempt %i waits %i ms at the middle of the jitter", (n, ms) => {
    expect(backoff(n, () => 0.5)).toBe(ms);
  });

  it("stays within ±25 % of its base", () => {
    fc.assert(
      fc.property(fc.nat(60), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const base = Math.min(15_000, 500 * 2 ** n);
        const d = backoff(n, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.75));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.25));
      }),
    );
  });
});
