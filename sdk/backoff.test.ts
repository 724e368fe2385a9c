/** The reconnect schedule: a table of exact delays, and properties over any options. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from "./backoff";

describe("backoffDelay", () => {
  it.each([
    // attempt, options, random, delay
    [0, {}, 0, 500],
    [0, {}, 1, 250],
    [1, {}, 0, 1000],
    [3, {}, 1, 2000],
    [5, {}, 0, 16_000],
    [6, {}, 0, 30_000], // 32,000 capped
    [100, {}, 0.5, 22_500],
    [2000, {}, 0, 30_000], // 2^2000 is Infinity: still capped
    [2, { initialMs: 100, factor: 3 }, 0, 900],
    [2, { jitter: 0 }, 1, 2000],
    [2, { jitter: 1 }, 1, 0],
    [2, { jitter: 5 }, 1, 0], // jitter is clamped to 1
    [-3, {}, 0, 500], // negative attempts count as the first
  ])("attempt %i with %o and random %d waits %i ms", (attempt, options, random, delay) => {
    expect(backoffDelay(attempt, options, () => random)).toBe(delay);
  });

  it("stays within [ceiling·(1−jitter), ceiling] and never exceeds maxMs", () => {
    fc.assert(
      fc.property(
        fc.nat(200),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, initialMs, maxMs, factor, jitter, r) => {
          const d = backoffDelay(attempt, { initialMs, maxMs, factor, jitter }, () => r);
          const ceiling = Math.min(maxMs, initialMs * factor ** attempt);
          expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - jitter)));
          expect(d).toBeLessThanOrEqual(Math.ceil(ceiling));
          expect(d).toBeLessThanOrEqual(maxMs);
        },
      ),
    );
  });

  it("has a ceiling that never shrinks from one attempt to the next", () => {
    fc.assert(
      fc.property(fc.nat(100), (attempt) => {
        expect(backoffDelay(attempt + 1, {}, () => 0)).toBeGreaterThanOrEqual(backoffDelay(attempt, {}, () => 0));
      }),
    );
  });
});

describe("Backoff", () => {
  it("counts attempts and starts over after reset", () => {
    const b = new Backoff({}, () => 0);
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.next()).toBe(DEFAULT_BACKOFF.initialMs);
  });
});
