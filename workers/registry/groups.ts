/** Device groups and their members. */
import { and, eq, gt } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { db } from "../db/client";
import { groupMembers, groups, type GroupRow } from "../db/schema";
import { ApiError } from "../errors";
import { assertUserId } from "./ids";
import { decodeCursor, toPage, type Page } from "./pagination";
import { getDevice } from "./devices";
// A group's policies and the `${group}` variable follow membership into live sessions at once.
import { detachAll, refreshDevices } from "./access";


/** A group as the API shows it. */
export interface GroupView {
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

const view = (r: GroupRow): GroupView => ({
  name: r.name,
  description: r.description,
  created_at: new Date(r.createdAt).toISOString(),
  updated_at: new Date(r.updatedAt).toISOString(),
});

function assertName(name: string): void {
  assertUserId("group name", name);
}

/** Reads a group or throws 404. */
export async function getGroup(env: Env, name: string): Promise<GroupView> {
  assertName(name);
  const row = await db(env).select().from(groups).where(eq(groups.name, name)).get();
  if (!row) throw new ApiError("not-found", `No group "${name}"`);
  return view(row);
}

/** Lists groups by name, a page at a time. */
export async function listGroups(env: Env, cursor: string | undefined, limit: number): Promise<Page<GroupView>> {
  const after = decodeCursor(cursor);
  const rows = await db(env)
    .select()
    .from(groups)
    .where(after === null ? undefined : gt(groups.name, after))
    .orderBy(groups.name)
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.name, view);
}

/** Creates a group; 409 when the name is taken. */
export async function createGroup(env: Env, name: string, description: string | null): Promise<GroupView> {
  assertName(name);
  const now = Date.now();
  const row = await db(env).insert(groups).values({ name, description, createdAt: now, updatedAt: now }).onConflictDoNothing().returning().get();
  if (!row) throw new ApiError("conflict", `Group "${name}" already exists`);
  return view(row);
}

/** Changes a group's description. */
export async function updateGroup(env: Env, name: string, description: string | null): Promise<GroupView> {
  await getGroup(env, name);
  const row = await db(env).update(groups).set({ description, updatedAt: Date.now() }).where(eq(groups.name, name)).returning().get();
  if (!row) throw new ApiError("not-found", `No group "${name}"`);
  return view(row);
}

/** Deletes a group (memberships go with it; devices stay). */
export async function deleteGroup(env: Env, name: string): Promise<void> {
  assertName(name);
  const members = await db(env).select({ id: groupMembers.deviceId }).from(groupMembers).where(eq(groupMembers.groupName, name)).all();
  await detachAll(env, "group", name);
  const gone = await db(env).delete(groups).where(eq(groups.name, name)).returning().get();
  if (!gone) throw new ApiError("not-found", `No group "${name}"`);
  await refreshDevices(env, members.map((m) => m.id));
}

/** Lists the ids of a group's members, a page at a time. */
export async function listMembers(env: Env, name: string, cursor: string | undefined, limit: number): Promise<Page<{ device_id: string }>> {
  await getGroup(env, name);
  const after = decodeCursor(cursor);
  const cond = after === null ? eq(groupMembers.groupName, name) : and(eq(groupMembers.groupName, name), gt(groupMembers.deviceId, after));
  const rows = await db(env).select().from(groupMembers).where(cond).orderBy(groupMembers.deviceId).limit(limit + 1).all();
  return toPage(rows, limit, (r) => r.deviceId, (r) => ({ device_id: r.deviceId }));
}

/** Adds a device to a group (idempotent). */
export async function addMember(env: Env, name: string, deviceId: string): Promise<void> {
  await getGroup(env, name);
  await getDevice(env, deviceId);
  await db(env).insert(groupMembers).values({ groupName: name, deviceId, createdAt: Date.now() }).onConflictDoNothing().run();
  await refreshDevices(env, [deviceId]);
}

/** Removes a device from a group; 404 when it was not a member. */
export async function removeMember(env: Env, name: string, deviceId: string): Promise<void> {
  await getGroup(env, name);
  const gone = await db(env)
    .delete(groupMembers)
    .where(and(eq(groupMembers.groupName, name), eq(groupMembers.deviceId, deviceId)))
    .returning()
    .get();
  if (!gone) throw new ApiError("not-found", `Device "${deviceId}" is not in group "${name}"`);
  await refreshDevices(env, [deviceId]);
}
