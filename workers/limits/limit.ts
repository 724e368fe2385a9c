/**
 * Rate limits for the Worker: `await limit(env, key, rate)` → allowed, or refused with the
 * seconds to wait. Backed by one LimiterObject per key (token buckets in memory), which works
 * the same under local `wrangler dev` and deployed.
 *
 * Why a Durable Object and not the Workers rate-limiting binding (`[[ratelimits]]`, which
 * miniflare 4 does emulate): the binding fixes one limit and a 10 s or 60 s period per binding
 * in wrangler.toml, answers only success/failure (no Retry-After), and counts per Cloudflare
 * location; callers here choose their own rate and burst per call and must tell clients when
 * to come back.
 * @example
 * const d = await limit(c.env, `device:${id}`, { rate: 50, burst: 100 });
 * if (!d.ok) throw tooManyRequests(d.retryAfterSeconds);
 */
import type { Env } from "../../durable-objects/env";
import type { LimitDecision, Rate } from "../../durable-objects/limiter/limiter-object";
import { ApiError } from "../errors";

export type { Rate, LimitDecision };

/**
 * Takes one token (or `cost`) from the bucket of `key`. If the limiter cannot be reached the
 * request is allowed: a limit must not turn a platform hiccup into an outage.
 */
export async function limit(env: Env, key: string, rate: Rate, cost = 1): Promise<LimitDecision> {
  try {
    return await env.LIMITER.get(env.LIMITER.idFromName(key)).take(key, rate, cost);
  } catch {
    return { ok: true, retryAfterSeconds: 0 };
  }
}

/**
 * A rate from two env vars (requests per second, burst), each falling back to its default.
 * @example rateFrom(env.DEVICE_HTTP_RATE, env.DEVICE_HTTP_BURST, { rate: 50, burst: 100 })
 */
export function rateFrom(rawRate: unknown, rawBurst: unknown, fallback: Rate): Rate {
  const n = (v: unknown, d: number) => {
    const x = Number(v);
    return v !== undefined && v !== "" && Number.isFinite(x) && x > 0 ? x : d;
  };
  return { rate: n(rawRate, fallback.rate), burst: n(rawBurst, fallback.burst) };
}

/** The 429 problem with `Retry-After`. */
export function tooManyRequests(retryAfterSeconds: number, what = "requests"): ApiError {
  return new ApiError("too-many-requests", `Too many ${what}: retry after ${retryAfterSeconds} s`, { retry_after: retryAfterSeconds }, { "retry-after": String(retryAfterSeconds) });
}
