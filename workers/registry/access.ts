/**
 * What an MQTT session may do, from the registry: the policies attached to it (to the device
 * and its groups; to an API key or OAuth client; to anonymous clients) and the values of the
 * policy variables. Computed at CONNECT, and pushed again to live sessions whenever something
 * they depend on changes (a policy, an attachment, a membership, a device's tags or
 * attributes), so a change reaches them before the REST call that made it answers.
 */
import { and, eq, inArray, or } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { DEFAULT_DEVICE_POLICY, type PolicyStatement, type SessionContext } from "../../protocols/mqtt";
import { db } from "../db/client";
import { appSessions, channelMembers, devices, groupMembers, policies, policyAttachments } from "../db/schema";
import { deviceStub } from "../objects";
import { IN_LIST, OBJECT_CALLS_AT_ONCE, mapBounded, retryTransient, rowsInSlices, slices } from "../fan-out";
import { parkAndFail } from "./parked-pushes";

/** A policy target: who a policy is attached to. */
export type TargetKind = "device" | "group" | "api-key" | "oauth-client" | "anonymous";

/**
 * Detaches every policy from a target that is being deleted: a device or group created later with
 * the same name must start with none (as a new principal does in AWS IoT), not inherit them.
 */
export async function detachAll(env: Env, kind: TargetKind, id: string): Promise<void> {
  await db(env).delete(policyAttachments).where(and(eq(policyAttachments.targetKind, kind), eq(policyAttachments.targetId, id)));
}

/** The list under `key`, made (empty) when absent. */
function listAt<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/** Where the statements of an attachment target are kept: `<kind>\n<id>`. */
const targetKey = (kind: TargetKind, id: string) => `${kind}\n${id}`;

/** The statements attached to each target (by {@link targetKey}; targets with none are absent): a query per IN_LIST targets. */
async function attachedStatements(env: Env, targets: readonly { kind: TargetKind; id: string }[]): Promise<Map<string, PolicyStatement[]>> {
  const unique = [...new Map(targets.map((t) => [targetKey(t.kind, t.id), t])).values()];
  const rows = await rowsInSlices(unique, (slice) => {
    const byKind = new Map<TargetKind, string[]>();
    for (const t of slice) listAt(byKind, t.kind).push(t.id);
    return db(env)
      .select({ kind: policyAttachments.targetKind, id: policyAttachments.targetId, statements: policies.statements })
      .from(policyAttachments)
      .innerJoin(policies, eq(policies.id, policyAttachments.policyId))
      .where(or(...[...byKind].map(([kind, ids]) => and(eq(policyAttachments.targetKind, kind), inArray(policyAttachments.targetId, ids)))))
      .orderBy(policyAttachments.policyId)
      .all();
  });
  const out = new Map<string, PolicyStatement[]>();
  for (const row of rows) {
    const key = targetKey(row.kind, row.id);
    listAt(out, key).push(...(row.statements as PolicyStatement[]));
  }
  return out;
}

/** The statements attached to any of `targets`, in their order, or null when none is attached. */
async function statementsFor(env: Env, targets: { kind: TargetKind; id: string }[]): Promise<PolicyStatement[] | null> {
  const attached = await attachedStatements(env, targets);
  const found = targets.flatMap((t) => attached.get(targetKey(t.kind, t.id)) ?? []);
  return targets.some((t) => attached.has(targetKey(t.kind, t.id))) ? found : null;
}

/** Values of `${tag:<key>}`: tags written `key:value` or `key=value`. */
function tagVariables(tags: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const tag of tags) {
    const m = /^([^:=]+)[:=](.+)$/.exec(tag);
    if (m) (out[`tag:${m[1]}`] ??= []).push(m[2]!);
  }
  return out;
}

/** Values of `${attr:<key>}`: the device's string and number attributes. */
function attrVariables(attributes: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) if (typeof v === "string" || typeof v === "number") out[`attr:${k}`] = String(v);
  return out;
}

/**
 * A device's policy and variables. Policies attached to the device or any of its groups
 * replace the default device policy; with none attached, the default applies.
 */
export async function deviceAccess(env: Env, deviceId: string): Promise<SessionContext> {
  return (await devicesAccess(env, [deviceId])).get(deviceId)!;
}

/**
 * {@link deviceAccess} of many devices at once: three queries per IN_LIST devices and one per
 * IN_LIST of them and their groups, not four per device — a fleet-wide change stays within the
 * subrequests one request may make.
 */
export async function devicesAccess(env: Env, deviceIds: readonly string[]): Promise<Map<string, SessionContext>> {
  const d = db(env);
  const ids = [...new Set(deviceIds)];
  const [deviceRows, groupRows, channelRows] = await Promise.all([
    rowsInSlices(ids, (s) => d.select({ id: devices.id, tags: devices.tags, attributes: devices.attributes }).from(devices).where(inArray(devices.id, s)).all()),
    rowsInSlices(ids, (s) => d.select({ deviceId: groupMembers.deviceId, name: groupMembers.groupName }).from(groupMembers).where(inArray(groupMembers.deviceId, s)).orderBy(groupMembers.groupName).all()),
    rowsInSlices(ids, (s) => d.select({ deviceId: channelMembers.deviceId, id: channelMembers.channelId }).from(channelMembers).where(inArray(channelMembers.deviceId, s)).orderBy(channelMembers.channelId).all()),
  ]);
  const listed = <R extends { deviceId: string }>(rows: R[], value: (r: R) => string) => {
    const out = new Map<string, string[]>();
    for (const r of rows) listAt(out, r.deviceId).push(value(r));
    return out;
  };
  const groupsOf = listed(groupRows, (r) => r.name);
  const channelsOf = listed(channelRows, (r) => r.id);
  const found = new Map(deviceRows.map((r) => [r.id, r]));
  const attached = await attachedStatements(env, [
    ...ids.map((id) => ({ kind: "device" as const, id })),
    ...groupRows.map((r) => ({ kind: "group" as const, id: r.name })),
  ]);
  const out = new Map<string, SessionContext>();
  for (const id of ids) {
    const groups = groupsOf.get(id) ?? [];
    const targets = [targetKey("device", id), ...groups.map((g) => targetKey("group", g))].filter((k) => attached.has(k));
    const device = found.get(id);
    out.set(id, {
      policy: targets.length ? targets.flatMap((k) => attached.get(k)!) : DEFAULT_DEVICE_POLICY,
      variables: {
        deviceId: id,
        clientId: id,
        group: groups,
        channel: channelsOf.get(id) ?? [],
        ...tagVariables(device?.tags ?? []),
        ...attrVariables(device?.attributes ?? {}),
      },
    });
  }
  return out;
}

/** Statements attached to an app credential's owner (`key:<id>`, `client:<id>`), or to anonymous clients (`anonymous`). */
export async function ownerStatements(env: Env, owner: string): Promise<PolicyStatement[]> {
  const target = ownerTarget(owner);
  return target ? ((await statementsFor(env, [target])) ?? []) : [];
}

function ownerTarget(owner: string): { kind: TargetKind; id: string } | null {
  if (owner.startsWith("key:")) return { kind: "api-key", id: owner.slice(4) };
  if (owner.startsWith("client:")) return { kind: "oauth-client", id: owner.slice(7) };
  if (owner === "anonymous") return { kind: "anonymous", id: "*" };
  return null;
}

/** The session owner a target stands for (the inverse of ownerTarget), or null for devices and groups. */
export function targetOwner(kind: TargetKind, id: string): string | null {
  if (kind === "api-key") return `key:${id}`;
  if (kind === "oauth-client") return `client:${id}`;
  if (kind === "anonymous") return "anonymous";
  return null;
}

/** Failed pushes of one run: holder id → the error. */
type PushFailures = Map<string, unknown>;

/**
 * Pushes fresh access to the objects of these devices (live sessions follow at once). A push is
 * idempotent (the whole access, not a change), so one that fails transiently is made again; one
 * that still fails is parked and retried later (parked-pushes.ts), and the call fails.
 */
export async function refreshDevices(env: Env, deviceIds: readonly string[]): Promise<void> {
  await settle(env, "device-access", await pushDevices(env, deviceIds));
}

/** Pushes fresh attached statements to every app session these owners hold (failures: as {@link refreshDevices}). */
export async function refreshOwners(env: Env, owners: readonly string[]): Promise<void> {
  await settle(env, "owner-access", await pushOwners(env, owners));
}

/** {@link refreshDevices} without parking: the devices whose push failed, with the error. */
export async function pushDevices(env: Env, deviceIds: readonly string[]): Promise<PushFailures> {
  const failures: PushFailures = new Map();
  // A slice at a time: a few queries for its access, then its objects, so a large group holds little.
  for (const slice of slices([...new Set(deviceIds)], IN_LIST)) {
    const access = await devicesAccess(env, slice);
    await mapBounded(slice, OBJECT_CALLS_AT_ONCE, (id) => retryTransient(() => deviceStub(env, id).accessChanged(access.get(id)!)).catch((err: unknown) => void failures.set(id, err)));
  }
  return failures;
}

/** {@link refreshOwners} without parking: the owners one of whose sessions missed the push. */
export async function pushOwners(env: Env, owners: readonly string[]): Promise<PushFailures> {
  const failures: PushFailures = new Map();
  const unique = [...new Set(owners)];
  if (unique.length === 0) return failures;
  const rows = await rowsInSlices(unique, (s) => db(env).select({ id: appSessions.sessionId, owner: appSessions.owner }).from(appSessions).where(inArray(appSessions.owner, s)).all());
  // Every owner's statements in one query (per IN_LIST owners), not one query per owner.
  const targets = new Map(unique.map((o) => [o, ownerTarget(o)]));
  const attached = await attachedStatements(env, [...targets.values()].filter((t) => t !== null));
  const byOwner = new Map([...targets].map(([o, t]) => [o, (t && attached.get(targetKey(t.kind, t.id))) ?? []]));
  await mapBounded(rows, OBJECT_CALLS_AT_ONCE, (r) =>
    retryTransient(() => env.APP_SESSION.get(env.APP_SESSION.idFromName(r.id)).accessChanged(byOwner.get(r.owner) ?? [])).catch((err: unknown) => void failures.set(r.owner, err)),
  );
  return failures;
}

/** Parks what failed and fails the caller's request (parkAndFail). */
function settle(env: Env, kind: "device-access" | "owner-access", failures: PushFailures): Promise<void> {
  return parkAndFail(env, [...failures].map(([id, err]) => ({ push: { kind, id }, err })));
}

/** Pushes fresh access to everyone a policy's attachments reach (after it changed or went away). */
export async function refreshTargets(env: Env, targets: readonly { kind: TargetKind; id: string }[]): Promise<void> {
  const deviceIds = targets.filter((t) => t.kind === "device").map((t) => t.id);
  const groups = targets.filter((t) => t.kind === "group").map((t) => t.id);
  const members = await rowsInSlices(groups, (s) => db(env).select({ id: groupMembers.deviceId }).from(groupMembers).where(inArray(groupMembers.groupName, s)).all());
  deviceIds.push(...members.map((m) => m.id));
  const owners = targets.map((t) => targetOwner(t.kind, t.id)).filter((o): o is string => o !== null);
  await Promise.all([refreshDevices(env, deviceIds), refreshOwners(env, owners)]);
}
