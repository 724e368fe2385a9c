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

/** A policy target: who a policy is attached to. */
export type TargetKind = "device" | "group" | "api-key" | "oauth-client" | "anonymous";

async function statementsFor(env: Env, targets: { kind: TargetKind; id: string }[]): Promise<PolicyStatement[] | null> {
  if (targets.length === 0) return null;
  const rows = await db(env)
    .select({ statements: policies.statements })
    .from(policyAttachments)
    .innerJoin(policies, eq(policies.id, policyAttachments.policyId))
    .where(or(...targets.map((t) => and(eq(policyAttachments.targetKind, t.kind), eq(policyAttachments.targetId, t.id)))))
    .all();
  if (rows.length === 0) return null;
  return rows.flatMap((r) => r.statements as PolicyStatement[]);
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
  const d = db(env);
  const [device, groupRows, channelRows] = await Promise.all([
    d.select({ tags: devices.tags, attributes: devices.attributes }).from(devices).where(eq(devices.id, deviceId)).get(),
    d.select({ name: groupMembers.groupName }).from(groupMembers).where(eq(groupMembers.deviceId, deviceId)).all(),
    d.select({ id: channelMembers.channelId }).from(channelMembers).where(eq(channelMembers.deviceId, deviceId)).all(),
  ]);
  const groups = groupRows.map((g) => g.name);
  const attached = await statementsFor(env, [{ kind: "device", id: deviceId }, ...groups.map((g) => ({ kind: "group" as const, id: g }))]);
  return {
    policy: attached ?? DEFAULT_DEVICE_POLICY,
    variables: {
      deviceId,
      clientId: deviceId,
      group: groups,
      channel: channelRows.map((c) => c.id),
      ...tagVariables(device?.tags ?? []),
      ...attrVariables(device?.attributes ?? {}),
    },
  };
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

/** Runs `fn` over `items`, at most `n` at a time. */
async function bounded<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Pushes fresh access to the objects of these devices (live sessions follow at once). */
export async function refreshDevices(env: Env, deviceIds: readonly string[]): Promise<void> {
  await bounded([...new Set(deviceIds)], 16, async (id) => deviceStub(env, id).accessChanged(await deviceAccess(env, id)));
}

/** Pushes fresh attached statements to every app session these owners hold. */
export async function refreshOwners(env: Env, owners: readonly string[]): Promise<void> {
  const unique = [...new Set(owners)];
  if (unique.length === 0) return;
  const rows = await db(env).select({ id: appSessions.sessionId, owner: appSessions.owner }).from(appSessions).where(inArray(appSessions.owner, unique)).all();
  const byOwner = new Map<string, PolicyStatement[]>();
  for (const o of unique) byOwner.set(o, await ownerStatements(env, o));
  await bounded(rows, 16, async (r) => env.APP_SESSION.get(env.APP_SESSION.idFromName(r.id)).accessChanged(byOwner.get(r.owner) ?? []));
}

/** Pushes fresh access to everyone a policy's attachments reach (after it changed or went away). */
export async function refreshTargets(env: Env, targets: readonly { kind: TargetKind; id: string }[]): Promise<void> {
  const deviceIds = targets.filter((t) => t.kind === "device").map((t) => t.id);
  const groups = targets.filter((t) => t.kind === "group").map((t) => t.id);
  if (groups.length) {
    const members = await db(env).select({ id: groupMembers.deviceId }).from(groupMembers).where(inArray(groupMembers.groupName, groups)).all();
    deviceIds.push(...members.map((m) => m.id));
  }
  const owners = targets.map((t) => targetOwner(t.kind, t.id)).filter((o): o is string => o !== null);
  await Promise.all([refreshDevices(env, deviceIds), refreshOwners(env, owners)]);
}
