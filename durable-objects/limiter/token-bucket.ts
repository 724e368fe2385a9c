/**
 * Token buckets: `rate` tokens per second refill a bucket of `burst`; each request takes one.
 * Pure (`(bucket, rate, now) → result`), so the limiter object is a thin map of buckets.
 */

/** A limit: sustained requests per second and the burst allowed on top of a full bucket. */
export interface Rate {
  rate: number;
  burst: number;
}

/** A bucket's state: tokens left at time `at` (epoch ms). */
export interface Bucket {
  tokens: number;
  at: number;
}

/** The outcome of one take: the new bucket, and when refused, the wait in ms until one token. */
export interface Take {
  bucket: Bucket;
  ok: boolean;
  retryAfterMs: number;
}

/**
 * Takes `cost` tokens from a bucket (a missing bucket is full) after refilling it for the time
 * since `bucket.at`. A clock that goes backwards refills nothing. A cost of 0 only asks whether
 * one more request would pass, taking nothing (a check before work whose failure costs).
 * @example take(undefined, { rate: 1, burst: 2 }, 0) // { ok: true, bucket: { tokens: 1, at: 0 }, retryAfterMs: 0 }
 */
export function take(bucket: Bucket | undefined, limit: Rate, now: number, cost = 1): Take {
  const burst = Math.max(limit.burst, cost);
  const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
  const tokens = bucket ? Math.min(burst, bucket.tokens + (elapsed / 1000) * limit.rate) : burst;
  const need = Math.max(cost, 1);
  if (tokens >= need) return { bucket: { tokens: tokens - cost, at: now }, ok: true, retryAfterMs: 0 };
  const retryAfterMs = limit.rate > 0 ? Math.ceil(((need - tokens) / limit.rate) * 1000) : Number.POSITIVE_INFINITY;
  return { bucket: { tokens, at: now }, ok: false, retryAfterMs };
}

/** True once a bucket has refilled to its burst: it may be forgotten (a missing bucket is full). */
export function isFull(bucket: Bucket, limit: Rate, now: number): boolean {
  return bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * limit.rate >= limit.burst;
}
