/**
 * Access pushes that failed past their retries, kept in D1 (`access_pushes`) until one gets
 * through: a change to policies, attachments, memberships, tags or attributes is stored before
 * it is pushed, so a session that missed the push would otherwise keep the rights it had — for
 * as long as it stays connected. Parked holders are pushed again (their access computed afresh)
 * with a growing backoff, from a cron trigger when deployed and, between those, at most every
 * {@link CHECK_EVERY_MS} from a request that reaches this isolate (`wrangler dev` runs no crons).
 */
import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { logError, logText } from "../../protocols/log-text";
import { db } from "../db/client";
import { accessPushes } from "../db/schema";
import { IN_LIST, slices } from "../fan-out";

/** Who a push goes to: a device's object, or the app sessions of a credential owner. */
export type PushKind = "device" | "owner";

/** Failed pushes of one run: holder id → the error. */
export type PushFailures = Map<string, unknown>;

/** Holders retried per run (each a few queries and one object call). */
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

/**
 * Parks the holders whose push failed, due after the first backoff; a holder parked already
 * (a later change failed too) counts one more failure and is due as soon.
 */
export async function park(env: Env, kind: PushKind, failures: PushFailures, now = Date.now()): Promise<void> {
  for (const [id, err] of failures) console.error(`access push to ${kind} ${logText(id)} failed, retried later: ${logError(err)}`);
  const rows = [...failures].map(([id, err]) => ({ kind, id, attempts: 1, nextAt: now + retryDelayMs(1), lastError: logError(err).slice(0, 500) }));
  // Five columns a row: 18 rows stay under D1's 100 bound parameters.
  for (const s of slices(rows, 18)) {
    await db(env)
      .insert(accessPushes)
      .values(s)
      .onConflictDoUpdate({
        target: [accessPushes.kind, accessPushes.id],
        set: { attempts: sql`${accessPushes.attempts} + 1`, nextAt: sql`excluded.next_at`, lastError: sql`excluded.last_error` },
      });
  }
}

/** A parked holder as a retry run sees it. */
export interface Parked {
  kind: PushKind;
  id: string;
  attempts: number;
}

/** Parked holders due by `now`, the longest waiting first. */
export async function due(env: Env, now = Date.now(), limit = RETRY_BATCH): Promise<Parked[]> {
  return db(env)
    .select({ kind: accessPushes.kind, id: accessPushes.id, attempts: accessPushes.attempts })
    .from(accessPushes)
    .where(lte(accessPushes.nextAt, now))
    .orderBy(asc(accessPushes.nextAt))
    .limit(limit)
    .all();
}

/** Counts one more failure of a retried holder and puts its next attempt off by the backoff. */
export async function failedAgain(env: Env, holder: Parked, err: unknown, now = Date.now()): Promise<void> {
  console.error(`access push to ${holder.kind} ${logText(holder.id)} failed again (attempt ${holder.attempts + 1}): ${logError(err)}`);
  await db(env)
    .update(accessPushes)
    .set({ attempts: holder.attempts + 1, nextAt: now + retryDelayMs(holder.attempts + 1), lastError: logError(err).slice(0, 500) })
    .where(and(eq(accessPushes.kind, holder.kind), eq(accessPushes.id, holder.id)));
}

/** Forgets parked holders whose push went through. */
export async function done(env: Env, kind: PushKind, ids: readonly string[]): Promise<void> {
  for (const s of slices(ids, IN_LIST)) await db(env).delete(accessPushes).where(and(eq(accessPushes.kind, kind), inArray(accessPushes.id, s)));
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
