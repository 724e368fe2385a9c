/**
 * When a webhook delivery is tried again, when an event is given up, and when a whole webhook
 * is disabled (pure). An event is retried with exponential backoff and jitter — 5 s, 30 s,
 * 2 min, 10 min, 1 h, then hourly — until it is 24 h old. A webhook whose every attempt failed
 * for 24 h (and at least 20 attempts: one sparse event failing twice a day apart is not an
 * outage) is disabled: nothing would be delivered anyway, and the endpoint is plainly gone.
 * A receiver that answers 429 or 503 with `Retry-After` gets nothing before then (up to an hour).
 */

import { numberVar } from "../vars";

/** The retry steps after the first (ms); the first is configurable (`WEBHOOK_RETRY_FIRST_SECONDS`). */
const LATER_STEPS_MS = [30_000, 120_000, 600_000, 3_600_000];
const HOURLY_MS = 3_600_000;

/** Defaults of the retry and disable policy. */
export const RETRY_DEFAULTS = {
  firstStepMs: 5_000,
  /** How long an event is retried, from when the webhook took it. */
  horizonMs: 24 * 3_600_000,
  /** A webhook is disabled once every attempt failed for this long… */
  disableAfterMs: 24 * 3_600_000,
  /** …and at least this many attempts failed in a row. */
  disableMinFailures: 20,
};

/** The retry policy of one webhook object (from its vars). */
export type RetryPolicy = typeof RETRY_DEFAULTS;

/**
 * The delay before the next attempt, after `failures` failed ones (1 = the first failed),
 * with ±20 % jitter so that retries of many events do not arrive in one burst.
 * @example retryDelay(1, 5000, () => 0.5) // 5000
 * @example retryDelay(9, 5000, () => 0.5) // 3600000
 */
export function retryDelay(failures: number, firstStepMs: number, random: () => number = Math.random): number {
  const base = failures <= 1 ? firstStepMs : (LATER_STEPS_MS[failures - 2] ?? HOURLY_MS);
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
}

/**
 * When an event that failed its `failures`-th attempt at `now` is tried next, or null when it
 * is given up (the next attempt would fall past its horizon).
 */
export function nextAttempt(failures: number, createdAt: number, now: number, policy: RetryPolicy, random: () => number = Math.random): number | null {
  const at = now + retryDelay(failures, policy.firstStepMs, random);
  return at - createdAt > policy.horizonMs ? null : at;
}

/** The longest pause a receiver's `Retry-After` can ask for (the schedule's longest step). */
export const RETRY_AFTER_MAX_MS = HOURLY_MS;

/**
 * How long a receiver that answered 429 or 503 asked to be left alone (RFC 9110 §10.2.3: whole
 * seconds, or an HTTP date), at most RETRY_AFTER_MAX_MS; null for any other status or a missing
 * or unreadable header.
 * @example retryAfterMs(429, "30", 0) // 30000
 * @example retryAfterMs(503, "Thu, 01 Jan 1970 00:01:00 GMT", 0) // 60000
 */
export function retryAfterMs(status: number | null, header: string | null, now: number): number | null {
  if ((status !== 429 && status !== 503) || header === null) return null;
  const text = header.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : /[a-z]/i.test(text) ? Date.parse(text) - now : NaN;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), RETRY_AFTER_MAX_MS) : null;
}

/** The run of failed attempts of a webhook: since when, and how many (none: `since` null). */
export interface FailureStreak {
  since: number | null;
  failures: number;
}

/** The streak after an attempt at `now` succeeded or failed; `disable` when the webhook should stop. */
export function afterAttempt(streak: FailureStreak, ok: boolean, now: number, policy: RetryPolicy): FailureStreak & { disable: boolean } {
  if (ok) return { since: null, failures: 0, disable: false };
  const since = streak.since ?? now;
  const failures = streak.failures + 1;
  return { since, failures, disable: failures >= policy.disableMinFailures && now - since >= policy.disableAfterMs };
}

/** The policy from the object's vars (durable-objects/vars.ts: seconds as decimal text, defaults for anything unset or unusable). */
export function retryPolicy(vars: object): RetryPolicy {
  return {
    ...RETRY_DEFAULTS,
    firstStepMs: Math.max(1, Math.round(numberVar(vars, "WEBHOOK_RETRY_FIRST_SECONDS") * 1000)),
    disableAfterMs: Math.round(numberVar(vars, "WEBHOOK_DISABLE_AFTER_SECONDS") * 1000),
    disableMinFailures: numberVar(vars, "WEBHOOK_DISABLE_MIN_FAILURES"),
  };
}
