/**
 * Where each credential's MQTT app sessions and live event streams live, so revoking the
 * credential can reach them (an app session's object is named `<owner>/<clientId>`; client ids
 * are the app's choice; streams as stream-names.ts notes them).
 */
import { eq, sql } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { db } from "../db/client";
import { appSessions } from "../db/schema";
import { pushOrPark } from "./parked-pushes";
import { streamName, streamOf } from "./stream-names";
import { deviceStub } from "../objects";
import { logError, logText } from "../../protocols/log-text";

/** Notes that `owner` opened `sessionId` (before the session's object accepts the link). */
export async function recordAppSession(env: Env, sessionId: string, owner: string): Promise<void> {
  const now = Date.now();
  await db(env)
    .insert(appSessions)
    .values({ sessionId, owner, connectedAt: now })
    .onConflictDoUpdate({ target: appSessions.sessionId, set: { connectedAt: sql`excluded.connected_at` } });
}

/** Notes that `owner` opened a live stream of `deviceId` (before the device's object accepts it). */
export function recordStream(env: Env, deviceId: string, owner: string): Promise<void> {
  return recordAppSession(env, streamName(deviceId, owner), owner);
}

/**
 * `owner` (an OAuth client) was issued a token valid until `expiresAt`: the live streams it opened
 * with earlier tokens last as long, so a client that renews its token before it expires (the SDK and
 * the console do) keeps its streams without a gap. Failures are logged: the stream then ends at its
 * old expiry, and the client opens it again.
 */
export async function renewStreams(env: Env, owner: string, expiresAt: number): Promise<void> {
  const rows = await db(env).select({ id: appSessions.sessionId }).from(appSessions).where(eq(appSessions.owner, owner)).all();
  const devices = rows.flatMap((r) => streamOf(r.id)?.deviceId ?? []);
  const settled = await Promise.allSettled(devices.map((id) => deviceStub(env, id).streamsRenewed(owner, expiresAt)));
  for (const [i, s] of settled.entries()) if (s.status === "rejected") console.error(`stream renewal for ${logText(devices[i]!)} failed: ${logError(s.reason)}`);
}

/**
 * Ends every session and stream an owner holds (the credential was revoked): each session's object closes
 * its connection with the protocol's answer and drops the session.
 */
export async function endAppSessions(env: Env, owner: string, reason: "revoked" | "expired"): Promise<number> {
  const rows = await db(env).select({ id: appSessions.sessionId }).from(appSessions).where(eq(appSessions.owner, owner)).all();
  try {
    // A session that cannot be told is parked, and ended when a retry gets through.
    await pushOrPark(env, rows.map((r) => ({ kind: "session-revoked", id: r.id, reason })));
  } finally {
    await db(env).delete(appSessions).where(eq(appSessions.owner, owner));
  }
  return rows.length;
}
