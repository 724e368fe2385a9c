/** The device registry in D1: create, read, filter, update, delete. */
import { and, eq, gt, sql, type SQL } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { db } from "../db/client";
import { devices, groupMembers, type DeviceRow } from "../db/schema";
import { ApiError } from "../errors";
import { detachAll, refreshDevices } from "./access";
import { decodeCursor, toPage, type Page } from "./pagination";
import { assertUserId } from "./ids";


/** The JSON shape of a device in every response. */
export interface DeviceView {
  id: string;
  name: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** Renders a registry row as the API's device. */
export function deviceView(row: DeviceRow): DeviceView {
  return {
    id: row.id,
    name: row.name,
    attributes: row.attributes,
    tags: row.tags,
    enabled: row.enabled,
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}

/** Throws a 400 unless `id` is a valid device id. */
export function assertDeviceId(id: string): void {
  assertUserId("device id", id);
}

/** Reads one device or throws 404. */
export async function getDevice(env: Env, id: string): Promise<DeviceRow> {
  assertDeviceId(id);
  const row = await db(env).select().from(devices).where(eq(devices.id, id)).get();
  if (!row) throw new ApiError("not-found", `No device "${id}"`);
  return row;
}

/** Filters for listing devices. */
/** The most `attr.<key>=` filters one list request may give (each is a bound value; D1 binds at most 100). */
export const MAX_ATTRIBUTE_FILTERS = 32;

export interface DeviceFilter {
  tag?: string;
  group?: string;
  prefix?: string;
  attributes: Record<string, string>;
  cursor?: string;
  limit: number;
}

/** Lists devices ordered by id, filtered, one page at a time. */
export async function listDevices(env: Env, f: DeviceFilter): Promise<Page<DeviceView>> {
  const where: SQL[] = [];
  const after = decodeCursor(f.cursor);
  if (after !== null) where.push(gt(devices.id, after));
  // A range on the primary key: case-sensitive (unlike LIKE) and served by the index.
  if (f.prefix) where.push(sql`${devices.id} >= ${f.prefix} AND ${devices.id} < ${`${f.prefix}\u{10FFFF}`}`);
  if (f.tag !== undefined) where.push(sql`EXISTS (SELECT 1 FROM json_each(${devices.tags}) WHERE json_each.value = ${f.tag})`);
  if (f.group !== undefined) {
    where.push(sql`EXISTS (SELECT 1 FROM ${groupMembers} WHERE ${groupMembers.deviceId} = ${devices.id} AND ${groupMembers.groupName} = ${f.group})`);
  }
  for (const [key, value] of Object.entries(f.attributes)) {
    const path = `$."${key}"`;
    // Attribute values may be strings, numbers or booleans; the query value is text, so compare as text.
    where.push(sql`CAST(json_extract(${devices.attributes}, ${path}) AS TEXT) = ${value}`);
  }
  const rows = await db(env)
    .select()
    .from(devices)
    .where(where.length ? and(...where) : undefined)
    .orderBy(devices.id)
    .limit(f.limit + 1)
    .all();
  return toPage(rows, f.limit, (r) => r.id, deviceView);
}

/** Input of a new device; an id is generated when none is given. */
export interface NewDevice {
  id?: string;
  name?: string | null;
  attributes?: Record<string, unknown>;
  tags?: string[];
  enabled?: boolean;
}

/** Inserts a device; a taken id is a 409. */
export async function insertDevice(env: Env, input: NewDevice, id: string): Promise<DeviceRow> {
  assertDeviceId(id);
  const now = Date.now();
  const row = await db(env)
    .insert(devices)
    .values({
      id,
      name: input.name ?? null,
      attributes: input.attributes ?? {},
      tags: dedupe(input.tags ?? []),
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning()
    .get();
  if (!row) throw new ApiError("conflict", `Device "${id}" already exists`);
  return row;
}

/** Changes of a device: every field optional; `attributes` replaces the object whole. */
export type DevicePatch = Omit<NewDevice, "id">;

/** Updates a device or throws 404. */
export async function updateDevice(env: Env, id: string, patch: DevicePatch): Promise<DeviceRow> {
  await getDevice(env, id);
  const set: Partial<DeviceRow> = { updatedAt: Date.now() };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.attributes !== undefined) set.attributes = patch.attributes;
  if (patch.tags !== undefined) set.tags = dedupe(patch.tags);
  if (patch.enabled !== undefined) set.enabled = patch.enabled;
  const row = await db(env).update(devices).set(set).where(eq(devices.id, id)).returning().get();
  if (!row) throw new ApiError("not-found", `No device "${id}"`);
  // `${tag:…}` and `${attr:…}` policy variables follow into live sessions at once.
  if (patch.attributes !== undefined || patch.tags !== undefined) await refreshDevices(env, [id]);
  return row;
}

/** Deletes a device (credentials, identities and memberships cascade); throws 404 when absent. */
export async function deleteDevice(env: Env, id: string): Promise<void> {
  assertDeviceId(id);
  // Policies first: a crash in between leaves the device without them, never a successor with them.
  await detachAll(env, "device", id);
  const gone = await db(env).delete(devices).where(eq(devices.id, id)).returning({ id: devices.id }).get();
  if (!gone) throw new ApiError("not-found", `No device "${id}"`);
}

function dedupe(tags: string[]): string[] {
  return [...new Set(tags)];
}
