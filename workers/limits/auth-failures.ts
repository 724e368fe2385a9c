/**
 * Repeated bad credentials from one address: each failure takes a token from that address's
 * bucket (`AUTH_FAILURE_RATE`/s, burst `AUTH_FAILURE_BURST`), and once it is empty the address
 * gets 429 before its credential is even looked at, so a right guess is refused like a wrong
 * one. Checking costs a limiter round trip, so an isolate checks only addresses it has seen
 * fail recently; an address failing through many isolates is caught after one failure in each.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { Env } from "../../durable-objects/env";
import { limit, rateVars, tooManyRequests, type LimitDecision, type Rate } from "./limit";
import { clientAddress } from "../edge/client-address";

/** Addresses this isolate saw fail, with when (ms); forgotten after a while, bounded in size. */
const suspects = new Map<string, number>();
const REMEMBER_MS = 10 * 60_000;
const MAX_SUSPECTS = 10_000;

function failureRate(env: Env): Rate {
  return rateVars(env, "AUTH_FAILURE");
}

const key = (address: string) => `auth-fail:${address}`;

/** Refused (with the wait) when `address` has used up its failures; allowed otherwise. */
export async function failuresLeft(env: Env, address: string, now = Date.now()): Promise<LimitDecision> {
  const seen = suspects.get(address);
  if (seen === undefined) return { ok: true, retryAfterSeconds: 0 };
  if (now - seen > REMEMBER_MS) {
    suspects.delete(address);
    return { ok: true, retryAfterSeconds: 0 };
  }
  return limit(env, key(address), failureRate(env), 0);
}

/** Counts one failed authentication from `address`; refused once its failures are used up. */
export async function recordFailure(env: Env, address: string, now = Date.now()): Promise<LimitDecision> {
  if (suspects.size >= MAX_SUSPECTS) suspects.delete(suspects.keys().next().value ?? "");
  suspects.delete(address);
  suspects.set(address, now);
  return limit(env, key(address), failureRate(env));
}

/** The outcome of {@link attemptUnderLimit}: the attempt's value, or why there is none. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; limited: LimitDecision | null };

/**
 * Runs one authentication attempt from `address` under the failure limit, for any protocol:
 * refused before the attempt when the address has no failures left (`limited`), and a failed
 * attempt (null) is counted (`limited` too once that used up the last). Sockets answer in their
 * own protocol (MQTT CONNACK, CoAP 4.01); HTTP routes use {@link underFailureLimit}.
 */
export async function attemptUnderLimit<T>(env: Env, address: string, attempt: () => Promise<T | null>): Promise<Attempt<T>> {
  const left = await failuresLeft(env, address);
  if (!left.ok) return { ok: false, limited: left };
  const value = await attempt();
  if (value !== null) return { ok: true, value };
  const d = await recordFailure(env, address);
  return { ok: false, limited: d.ok ? null : d };
}

/**
 * Runs one authentication attempt under the failure limit: 429 before it when the address has
 * no failures left, and a failure (null) is counted (429 instead once that used up the last).
 * @example const p = await underFailureLimit(c, () => resolveBearer(c.env, token));
 */
export async function underFailureLimit<T>(c: Context<AppEnv>, attempt: () => Promise<T | null>): Promise<T | null> {
  const r = await attemptUnderLimit(c.env, clientAddress(c), attempt);
  if (r.ok) return r.value;
  if (r.limited) throw tooManyRequests(r.limited.retryAfterSeconds, "failed authentications from this address");
  return null;
}
