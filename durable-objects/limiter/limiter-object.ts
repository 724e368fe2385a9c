/**
 * LimiterObject: token buckets for rate limits, one object per limited key
 * (`idFromName("oauth-ip:203.0.113.9")`), so no single object sits on every request and each
 * is placed near the callers of its key. Buckets live in memory only: an evicted object forgets
 * them, which errs towards letting requests through (the limit protects, it is not an account).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { TokenBucket } from "../shared/token-bucket";

/** A limit: sustained requests per second and the burst allowed on top. */
export interface Rate {
  rate: number;
  burst: number;
}

/** The answer to one `take`: allowed, or refused with the seconds to wait. */
export interface LimitDecision {
  ok: boolean;
  retryAfterSeconds: number;
}

/** Longest Retry-After given (a rate near zero would otherwise say days). */
const MAX_RETRY_AFTER_SECONDS = 3600;

export class LimiterObject extends DurableObject<Env> {
  private readonly buckets = new Map<string, { bucket: TokenBucket; limit: Rate }>();

  /**
   * Takes `cost` tokens from the bucket of `key` under `limit`; a cost of 0 only checks that
   * one more would pass, taking nothing.
   */
  take(key: string, limit: Rate, cost = 1): LimitDecision {
    const now = Date.now();
    let entry = this.buckets.get(key);
    if (!entry || entry.limit.rate !== limit.rate || entry.limit.burst !== limit.burst) {
      entry = { bucket: new TokenBucket(limit.rate, limit.burst, now), limit };
      this.buckets.set(key, entry);
    }
    const waitMs = cost === 0 ? entry.bucket.wait(now) : entry.bucket.take(now, cost);
    // Full buckets carry no state worth keeping (a missing bucket starts full).
    if (this.buckets.size > 64) for (const [k, v] of this.buckets) if (v.bucket.wait(now, v.limit.burst) === 0) this.buckets.delete(k);
    return { ok: waitMs === 0, retryAfterSeconds: waitMs === 0 ? 0 : Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(waitMs / 1000))) };
  }
}
