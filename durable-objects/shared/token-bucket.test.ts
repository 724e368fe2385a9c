import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DROP, FLOOD_FACTOR, FLOODING, pace, SenderRate, TokenBucket } from "./token-bucket";

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

describe("SenderRate", () => {
  it("refuses over the rate, and calls a sender flooding once its refusals pass ten times its burst", () => {
    const r = new SenderRate(10, 5, 0);
    for (let i = 0; i < 5; i++) expect(r.admit(0)).toBe(0);
    for (let i = 0; i < 5 * FLOOD_FACTOR; i++) expect(r.admit(0)).toBeGreaterThan(0);
    expect(r.admit(0)).toBe(FLOODING);
    // Refusals come back at ten times the rate: a tenth of a second later the sender is refused, not cut off.
    expect(r.admit(100)).toBe(0);
    expect(r.admit(100)).toBeGreaterThan(0);
  });

  it("QoS 0 over the rate is dropped, then flooding; QoS 1 is paced, never refused", () => {
    const r = new SenderRate(1, 1, 0);
    expect(pace(r, 0, 0)).toBe(0);
    for (let i = 0; i < FLOOD_FACTOR; i++) expect(pace(r, 0, 0)).toBe(DROP);
    expect(pace(r, 0, 0)).toBe(FLOODING);
    expect(pace(r, 1, 0)).toBeGreaterThan(0);
    expect(pace(undefined, 0, 0)).toBe(0);
  });

  it("never calls a sender flooding that sends at most ten times its rate after its burst", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 2000 }), (rate, burst, count) => {
        const r = new SenderRate(rate, burst, 0);
        // Evenly spaced at (rate × FLOOD_FACTOR) a second, after the whole burst at once.
        for (let i = 0; i < burst; i++) expect(r.admit(0)).not.toBe(FLOODING);
        for (let i = 1; i <= count; i++) expect(r.admit((i * 1000) / (rate * FLOOD_FACTOR))).not.toBe(FLOODING);
      }),
    );
  });
});
