import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TokenBucket } from "./token-bucket";

describe("TokenBucket", () => {
  it("allows a burst, then the rate", () => {
    const b = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(100);
    expect(b.take(100)).toBe(0);
    expect(b.take(100)).toBeGreaterThan(0);
  });

  it("paces reservations at the rate once the burst is spent", () => {
    const b = new TokenBucket(10, 2, 0);
    expect([b.reserve(0), b.reserve(0), b.reserve(0), b.reserve(0)]).toEqual([0, 0, 100, 200]);
    expect(b.reserve(1_000)).toBe(0);
  });

  it("wait tells how long until a token is there, taking none", () => {
    const b = new TokenBucket(1, 1, 0);
    expect(b.wait(0)).toBe(0);
    expect(b.wait(0)).toBe(0);
    expect(b.take(0)).toBe(0);
    expect(b.wait(0)).toBe(1000);
    expect(b.wait(400)).toBe(600);
    expect(b.wait(1000)).toBe(0);
    expect(b.wait(1000, 1)).toBe(0);
    expect(b.take(1000)).toBe(0);
  });

  it("never lets more through than burst + rate × time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100 }), fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (rate, burst, gaps) => {
        const b = new TokenBucket(rate, burst, 0);
        let now = 0;
        let passed = 0;
        for (const g of gaps) {
          now += g;
          if (b.take(now) === 0) passed++;
        }
        expect(passed).toBeLessThanOrEqual(burst + Math.floor((rate * now) / 1000) + 1);
      }),
    );
  });
});
