/**
 * Calls to objects that must get through because the registry already changed — access pushes,
 * a revoked credential to its device's object, a revoked credential's app sessions, a disabled
 * device, changed rules — and that failed past their quick retries: kept in D1 (`parked_pushes`) and made again with a growing
 * backoff until they succeed (push-retry.ts), from a cron trigger when deployed and, between
 * those, at most every {@link CHECK_EVERY_MS} from a request that reaches this isolate (`wrangler
 * dev` runs no crons). Without this a live session kept what the registry took away (rights, a
 * credential) for as long as it stayed connected, and repeating the REST call could not help
 * (the credential or key was already gone: 404).
 */
import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { logError, logText } from "../../protocols/log-text";
import { db } from "../db/client";
import { parkedPushes } from "../db/schema";
import { ApiError } from "../errors";
import { OBJECT_CALLS_AT_ONCE, mapBounded, retryTransient, slices } from "../fan-out";
import { deviceStub } from "../objects";
import { streamOf } from "./stream-names";

/** One call that must reach an object. Access pushes carry no arguments: they are computed when made. */
export type Push =
  | { kind: "device-access"; id: string }
  | { kind: "owner-access"; id: string }
  | { kind: "credential-revoked"; id: string; credential: string; at: number | null }
  | { kind: "session-revoked"; id: string; reason: "revoked" | "expired" }
  | { kind: "device-disabled"; id: string }
  | { kind: "rules-changed"; id: string };

/** A push that is one call, made as it is (access pushes are computed in batches: push-retry.ts). */
export type CallPush = Exclude<Push, { kind: "device-access" | "owner-access" }>;

/** A parked push as a retry run sees it. */
export type Parked = Push & { attempts: number };

/** Pushes retried per run (each a few queries and one object call). */
export const RETRY_BATCH = 50;

/** How often one isolate looks for due pushes from its requests. */
const CHECK_EVERY_MS = 10_000;

/**
 * Wait before attempt `attempts + 1`: 5 s, doubling, at most 10 minutes.
 * @example retryDelayMs(1) // 5000
 */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 600_000);
}

/** The stored arguments of a push ('' for access pushes). */
function argsOf(p: Push): string {
  if (p.kind === "credential-revoked") return JSON.stringify([p.credential, p.at]);
  if (p.kind === "session-revoked") return JSON.stringify([p.reason]);
  return "";
}

/** A stored row back as a push, or null when its arguments are not what its kind takes. */
export function pushOf(kind: string, id: string, args: string): Push | null {
  if (kind === "device-access" || kind === "owner-access" || kind === "device-disabled" || kind === "rules-changed") return { kind, id };
  let a: unknown;
  try {
    a = JSON.parse(args);
  } catch {
    return null;
  }
  if (!Array.isArray(a)) return null;
  if (kind === "credential-revoked" && typeof a[0] === "string" && (a[1] === null || typeof a[1] === "number")) return { kind, id, credential: a[0], at: a[1] };
  if (kind === "session-revoked" && (a[0] === "revoked" || a[0] === "expired")) return { kind, id, reason: a[0] };
  return null;
}

/** Makes a push that is one call. */
export function call(env: Env, p: CallPush): Promise<void> {
  switch (p.kind) {
    case "credential-revoked":
      return deviceStub(env, p.id).credentialRevoked(p.credential, p.at);
    case "session-revoked": {
      const stream = streamOf(p.id);
      if (stream) return deviceStub(env, stream.deviceId).streamsRevoked(stream.owner);
      return env.APP_SESSION.get(env.APP_SESSION.idFromName(p.id)).revoke(p.reason);
    }
    case "device-disabled":
      return deviceStub(env, p.id).disconnect("device disabled");
    case "rules-changed":
      return deviceStub(env, p.id).rulesChanged();
  }
}

/**
 * Parks the pushes that failed, each due after the first backoff; one parked already (a later
 * change failed too) counts one more failure and is due as soon.
 */
export async function park(env: Env, failed: readonly { push: Push; err: unknown }[], now = Date.now()): Promise<void> {
  for (const { push, err } of failed) console.error(`push ${push.kind} to ${logText(push.id)} failed, retried later: ${logError(err)}`);
  const rows = failed.map(({ push, err }) => ({ kind: push.kind, id: push.id, args: argsOf(push), attempts: 1, nextAt: now + retryDelayMs(1), lastError: logError(err).slice(0, 500) }));
  // Six columns a row: 16 rows stay under D1's 100 bound parameters.
  for (const s of slices(rows, 16)) {
    await db(env)
      .insert(parkedPushes)
      .values(s)
      .onConflictDoUpdate({
        target: [parkedPushes.kind, parkedPushes.id, parkedPushes.args],
        set: { attempts: sql`${parkedPushes.attempts} + 1`, nextAt: sql`excluded.next_at`, lastError: sql`excluded.last_error` },
      });
  }
}

/**
 * Makes these calls (OBJECT_CALLS_AT_ONCE at a time) with quick retries; those that still fail
 * are parked, and the request fails with a 503 that says the change is stored.
 */
export async function pushOrPark(env: Env, pushes: readonly CallPush[]): Promise<void> {
  const failed: { push: Push; err: unknown }[] = [];
  await mapBounded(pushes, OBJECT_CALLS_AT_ONCE, (p) => retryTransient(() => call(env, p)).catch((err: unknown) => void failed.push({ push: p, err })));
  await parkAndFail(env, failed);
}

/**
 * When some pushes of a request failed: parks them and fails the request with a 503 that says
 * the change is stored but did not reach every object yet. Nothing failed: returns.
 */
export async function parkAndFail(env: Env, failed: readonly { push: Push; err: unknown }[]): Promise<void> {
  if (failed.length === 0) return;
  await park(env, failed);
  throw new ApiError(
    "unavailable",
    `The change is stored, but ${failed.length} of the objects it concerns (first: ${failed[0]!.push.id}) could not be told yet; their live sessions keep what they had until a retry gets through (automatic, within minutes)`,
    { pending: failed.length },
  );
}

/** Parked pushes due by `now`, the longest waiting first (rows that do not parse are dropped). */
export async function due(env: Env, now = Date.now(), limit = RETRY_BATCH): Promise<Parked[]> {
  const rows = await db(env).select().from(parkedPushes).where(lte(parkedPushes.nextAt, now)).orderBy(asc(parkedPushes.nextAt)).limit(limit).all();
  const out: Parked[] = [];
  for (const r of rows) {
    const push = pushOf(r.kind, r.id, r.args);
    if (push) out.push({ ...push, attempts: r.attempts });
    else await db(env).delete(parkedPushes).where(and(eq(parkedPushes.kind, r.kind), eq(parkedPushes.id, r.id), eq(parkedPushes.args, r.args)));
  }
  return out;
}

const rowOf = (p: Push) => and(eq(parkedPushes.kind, p.kind), eq(parkedPushes.id, p.id), eq(parkedPushes.args, argsOf(p)));

/** Forgets a parked push that went through. */
export async function done(env: Env, p: Push): Promise<void> {
  await db(env).delete(parkedPushes).where(rowOf(p));
}

/** Counts one more failure of a retried push and puts its next attempt off by the backoff. */
export async function failedAgain(env: Env, p: Parked, err: unknown, now = Date.now()): Promise<void> {
  console.error(`push ${p.kind} to ${logText(p.id)} failed again (attempt ${p.attempts + 1}): ${logError(err)}`);
  await db(env)
    .update(parkedPushes)
    .set({ attempts: p.attempts + 1, nextAt: now + retryDelayMs(p.attempts + 1), lastError: logError(err).slice(0, 500) })
    .where(rowOf(p));
}

let lastCheck = 0;

/**
 * Whether this isolate should look for due pushes now (at most once per {@link CHECK_EVERY_MS});
 * the caller then retries them in the background of its request.
 */
export function checkNow(now = Date.now()): boolean {
  if (now - lastCheck < CHECK_EVERY_MS) return false;
  lastCheck = now;
  return true;
}
