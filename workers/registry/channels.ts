/** Channels and the devices connected to them. */
import { and, eq, gt } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { db } from "../db/client";
import { channelMembers, channels, type ChannelRow } from "../db/schema";
import { ApiError } from "../errors";
import { assertUserId } from "./ids";
import { decodeCursor, toPage, type Page } from "./pagination";
import { getDevice } from "./devices";
// Live sessions gain or lose a channel at once (the `${channel}` policy variable), not at their next CONNECT.
import { refreshDevices } from "./access";
import { ShardClient } from "../../durable-objects/routing/shard-client";


/** A channel as the API shows it. */
export interface ChannelView {
  id: string;
  name: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

const view = (r: ChannelRow): ChannelView => ({
  id: r.id,
  name: r.name,
  metadata: r.metadata,
  created_at: new Date(r.createdAt).toISOString(),
  updated_at: new Date(r.updatedAt).toISOString(),
});

function assertId(id: string): void {
  assertUserId("channel id", id);
}

/** Reads a channel or throws 404. */
export async function getChannel(env: Env, id: string): Promise<ChannelView> {
  assertId(id);
  const row = await db(env).select().from(channels).where(eq(channels.id, id)).get();
  if (!row) throw new ApiError("not-found", `No channel "${id}"`);
  return view(row);
}

/** Lists channels, a page at a time. */
export async function listChannels(env: Env, cursor: string | undefined, limit: number): Promise<Page<ChannelView>> {
  const after = decodeCursor(cursor);
  const rows = await db(env).select().from(channels).where(after === null ? undefined : gt(channels.id, after)).orderBy(channels.id).limit(limit + 1).all();
  return toPage(rows, limit, (r) => r.id, view);
}

/** Creates a channel; 409 when the id is taken. */
export async function createChannel(env: Env, id: string, name: string | null, metadata: Record<string, unknown>): Promise<ChannelView> {
  assertId(id);
  const now = Date.now();
  const row = await db(env).insert(channels).values({ id, name, metadata, createdAt: now, updatedAt: now }).onConflictDoNothing().returning().get();
  if (!row) throw new ApiError("conflict", `Channel "${id}" already exists`);
  return view(row);
}

/** Changes a channel's name or metadata. */
export async function updateChannel(env: Env, id: string, patch: { name?: string | null; metadata?: Record<string, unknown> }): Promise<ChannelView> {
  await getChannel(env, id);
  const row = await db(env).update(channels).set({ ...patch, updatedAt: Date.now() }).where(eq(channels.id, id)).returning().get();
  if (!row) throw new ApiError("not-found", `No channel "${id}"`);
  return view(row);
}

/** Deletes a channel (connections go with it, and live sessions lose it). */
export async function deleteChannel(env: Env, id: string): Promise<void> {
  assertId(id);
  await getChannel(env, id);
  const members = await db(env).select({ id: channelMembers.deviceId }).from(channelMembers).where(eq(channelMembers.channelId, id)).all();
  // Its retained messages first: a failure leaves the channel registered, so the DELETE can be sent again.
  await new ShardClient(env, "default").channelShard(id).channelDeleted(id);
  const gone = await db(env).delete(channels).where(eq(channels.id, id)).returning().get();
  if (!gone) throw new ApiError("not-found", `No channel "${id}"`);
  await refreshDevices(env, members.map((m) => m.id));
}

/** Connects a device to a channel (idempotent). */
export async function connectDevice(env: Env, channelId: string, deviceId: string): Promise<void> {
  await getChannel(env, channelId);
  await getDevice(env, deviceId);
  await db(env).insert(channelMembers).values({ channelId, deviceId, createdAt: Date.now() }).onConflictDoNothing().run();
  await refreshDevices(env, [deviceId]);
}

/** Disconnects a device from a channel; 404 when it was not connected. */
export async function disconnectDevice(env: Env, channelId: string, deviceId: string): Promise<void> {
  await getChannel(env, channelId);
  const gone = await db(env)
    .delete(channelMembers)
    .where(and(eq(channelMembers.channelId, channelId), eq(channelMembers.deviceId, deviceId)))
    .returning()
    .get();
  if (!gone) throw new ApiError("not-found", `Device "${deviceId}" is not connected to channel "${channelId}"`);
  await refreshDevices(env, [deviceId]);
}

/** Lists the devices connected to a channel, a page at a time. */
export async function listChannelDevices(env: Env, channelId: string, cursor: string | undefined, limit: number): Promise<Page<{ device_id: string }>> {
  await getChannel(env, channelId);
  const after = decodeCursor(cursor);
  const cond = after === null ? eq(channelMembers.channelId, channelId) : and(eq(channelMembers.channelId, channelId), gt(channelMembers.deviceId, after));
  const rows = await db(env).select().from(channelMembers).where(cond).orderBy(channelMembers.deviceId).limit(limit + 1).all();
  return toPage(rows, limit, (r) => r.deviceId, (r) => ({ device_id: r.deviceId }));
}

/** Ids of the channels a device is connected to (its `${channel}` policy variable). */
export async function channelsOf(env: Env, deviceId: string): Promise<string[]> {
  const rows = await db(env).select({ id: channelMembers.channelId }).from(channelMembers).where(eq(channelMembers.deviceId, deviceId)).all();
  return rows.map((r) => r.id);
}
