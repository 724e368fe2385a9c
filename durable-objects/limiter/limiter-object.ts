/**
 * LimiterObject: token buckets for rate limits, one object per limited key
 * (`idFromName("oauth-ip:203.0.113.9")`), so no single object sits on every request and each
 * is placed near the callers of its key. Buckets live in memory only: an evicted object forgets
 * them, which errs towards letting requests through (the limit protects, it is not an account).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { isFull, take, type Bucket, type Rate } from "./token-bucket";

/** The answer to one `take`: allowed, or refused with the seconds to wait. */
export interface LimitDecision {
  ok: boolean;
  retryAfterSeconds: number;
}

export class LimiterObject extends DurableObject<Env> {
  private readonly buckets = new Map<string, { bucket: Bucket; limit: Rate }>();

  /** Takes `cost` tokens from the bucket of `key` under `limit`. */
  take(key: string, limit: Rate, cost = 1): LimitDecision {
    const now = Date.now();
    const t = take(this.buckets.get(key)?.bucket, limit, now, cost);
    this.buckets.set(key, { bucket: t.bucket, limit });
    if (this.buckets.size > 64) for (const [k, v] of this.buckets) if (isFull(v.bucket, v.limit, now)) this.buckets.delete(k);
    return { ok: t.ok, retryAfterSeconds: t.ok ? 0 : Math.min(3600, Math.max(1, Math.ceil(t.retryAfterMs / 1000))) };
  }
}
