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
import { numberVar } from "../../durable-objects/vars";

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
 * A rate from its two vars, `<name>_RATE` (per second) and `<name>_BURST` (durable-objects/vars.ts).
 * @example rateVars(env, "DEVICE_HTTP") // { rate: 50, burst: 100 } unless set
 */
export function rateVars(env: Env, name: "DEVICE_HTTP" | "OAUTH" | "AUTH_FAILURE"): Rate {
  return { rate: numberVar(env, `${name}_RATE`), burst: numberVar(env, `${name}_BURST`) };
}

/** The 429 problem with `Retry-After`. */
export function tooManyRequests(retryAfterSeconds: number, what = "requests"): ApiError {
  return new ApiError("too-many-requests", `Too many ${what}: retry after ${retryAfterSeconds} s`, { retry_after: retryAfterSeconds }, { "retry-after": String(retryAfterSeconds) });
}
