/** The retry schedule, giving up after 24 h, and disabling a webhook after a day of failures. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RETRY_AFTER_MAX_MS, RETRY_DEFAULTS, afterAttempt, nextAttempt, retryAfterMs, retryDelay, retryPolicy, type FailureStreak } from "./backoff";

const H = 3_600_000;
const mid = () => 0.5;

describe("webhook retry schedule", () => {
  it.each([
    [1, 5_000],
    [2, 30_000],
    [3, 120_000],
    [4, 600_000],
    [5, H],
    [6, H],
    [40, H],
  ])("after %i failed attempts waits %i ms (no jitter)", (failures, ms) => {
    expect(retryDelay(failures, 5_000, mid)).toBe(ms);
  });

  it("uses the configured first step", () => {
    expect(retryDelay(1, 200, mid)).toBe(200);
    expect(retryDelay(2, 200, mid)).toBe(30_000);
  });

  it("jitters within ±20 % and never goes below 1 ms", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (failures, r) => {
        const base = retryDelay(failures, 5_000, mid);
        const d = retryDelay(failures, 5_000, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }),
    );
    expect(retryDelay(1, 1, () => 0)).toBe(1);
  });

  it("retries an event for 24 h and then gives it up", () => {
    let now = 0;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = nextAttempt(attempts, 0, now, RETRY_DEFAULTS, mid);
      if (next === null) break;
      now = next;
    }
    expect(now).toBeLessThanOrEqual(24 * H);
    expect(now).toBeGreaterThan(23 * H);
    expect(attempts).toBe(28); // at 0, 5 s, 35 s, 2.6 min, 12.6 min, then hourly up to the horizon
  });
});

describe("disabling a failing webhook", () => {
  const fail = (s: FailureStreak, now: number) => afterAttempt(s, false, now, RETRY_DEFAULTS);

  it("disables after 24 h of failures with at least 20 attempts", () => {
    let s: FailureStreak & { disable: boolean } = { since: null, failures: 0, disable: false };
    for (let i = 0; i < 19; i++) s = fail(s, i * H);
    expect(s.disable).toBe(false);
    s = fail(s, 24 * H);
    expect(s).toEqual({ since: 0, failures: 20, disable: true });
  });

  it("does not disable on a burst of failures within the day", () => {
    let s: FailureStreak & { disable: boolean } = { since: null, failures: 0, disable: false };
    for (let i = 0; i < 500; i++) s = fail(s, i);
    expect(s.disable).toBe(false);
  });

  it("does not disable on two sparse failures a day apart", () => {
    expect(fail(fail({ since: null, failures: 0 }, 0), 25 * H).disable).toBe(false);
  });

  it("a success ends the streak", () => {
    expect(afterAttempt({ since: 5, failures: 30 }, true, 10 * H, RETRY_DEFAULTS)).toEqual({ since: null, failures: 0, disable: false });
  });

  it("reads its vars, falling back on defaults", () => {
    expect(retryPolicy({})).toEqual(RETRY_DEFAULTS);
    expect(retryPolicy({ WEBHOOK_RETRY_FIRST_SECONDS: "0.25", WEBHOOK_DISABLE_AFTER_SECONDS: "2", WEBHOOK_DISABLE_MIN_FAILURES: "3" })).toMatchObject({
      firstStepMs: 250,
      disableAfterMs: 2_000,
      disableMinFailures: 3,
    });
    expect(retryPolicy({ WEBHOOK_RETRY_FIRST_SECONDS: "soon", WEBHOOK_DISABLE_MIN_FAILURES: "0" })).toEqual(RETRY_DEFAULTS);
  });
});

describe("a receiver's Retry-After", () => {
  const now = Date.parse("2026-11-29T10:00:00Z");
  it.each([
    [429, "30", 30_000],
    [503, " 0 ", 0],
    [429, "Sun, 29 Nov 2026 10:02:00 GMT", 120_000],
    [429, "Sun, 29 Nov 2026 09:59:00 GMT", 0], // a date past is "now"
    [503, "86400", RETRY_AFTER_MAX_MS], // at most an hour
    [429, "-5", null],
    [429, "1.5", null],
    [429, "soon", null],
    [429, "", null],
    [429, null, null],
    [500, "30", null], // only 429 and 503 carry it
    [200, "30", null],
    [null, "30", null],
  ])("status %s with %j waits %s ms", (status, header, ms) => {
    expect(retryAfterMs(status, header, now)).toBe(ms);
  });

  it("is never negative, never over the cap, and never NaN", () => {
    fc.assert(
      fc.property(fc.constantFrom(429, 503), fc.string(), (status, header) => {
        const ms = retryAfterMs(status, header, now);
        if (ms !== null) expect(ms >= 0 && ms <= RETRY_AFTER_MAX_MS).toBe(true);
      }),
    );
  });
});
