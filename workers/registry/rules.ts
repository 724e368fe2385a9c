/**
 * Rules in the registry: stored with their scope and actions, checked (the SQL compiles; the
 * actions are well formed) before they are kept, and pushed to the objects of the devices they
 * apply to before the call that changed them answers, so the next event is judged by them.
 */
import { and, eq, gt, inArray, or, sql } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { compileRule } from "../../rules";
import type { RuleAction, RuleScope, StoredRule } from "../../durable-objects/device/rule-types";
import { db } from "../db/client";
import { insertUnderLimit } from "../db/insert-under-limit";
import { channels, devices, groupMembers, rules, webhooks, type RuleRow } from "../db/schema";
import { ApiError } from "../errors";
import { decodeCursor, toPage, type Page } from "./pagination";
import { pushOrPark } from "./parked-pushes";

/** A rule as the API shows it. */
export interface RuleView {
  id: string;
  name: string;
  sql: string;
  scope: RuleScope;
  actions: RuleAction[];
  enabled: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

function scopeOf(r: Pick<RuleRow, "scopeKind" | "scopeValue">): RuleScope {
  switch (r.scopeKind) {
    case "all":
      return { kind: "all" };
    case "group":
      return { kind: "group", group: r.scopeValue ?? "" };
    case "tag":
      return { kind: "tag", tag: r.scopeValue ?? "" };
    case "device":
      return { kind: "device", deviceId: r.scopeValue ?? "" };
  }
}

const view = (r: RuleRow): RuleView => ({
  id: r.id,
  name: r.name,
  sql: r.sql,
  scope: scopeOf(r),
  actions: r.actions as RuleAction[],
  enabled: r.enabled,
  version: r.version,
  created_at: new Date(r.createdAt).toISOString(),
  updated_at: new Date(r.updatedAt).toISOString(),
});

/** Compiles the SQL; a syntax error is a 400 naming line, column and token. */
export function checkSql(text: string): void {
  const c = compileRule(text);
  if (!c.ok) throw new ApiError("invalid-request", `${c.error.message} (line ${c.error.line}, column ${c.error.column})`, { line: c.error.line, column: c.error.column, token: c.error.token });
}

function scopeColumns(scope: RuleScope): { scopeKind: RuleRow["scopeKind"]; scopeValue: string | null } {
  switch (scope.kind) {
    case "all":
      return { scopeKind: "all", scopeValue: null };
    case "group":
      return { scopeKind: "group", scopeValue: scope.group };
    case "tag":
      return { scopeKind: "tag", scopeValue: scope.tag };
    case "device":
      return { scopeKind: "device", scopeValue: scope.deviceId };
  }
}

/**
 * Every device, webhook and channel the actions name is in the registry: a typo is a 400, not a
 * command queued (and an object made) for a device that does not exist, or a webhook that never
 * gets the firing.
 */
async function checkActions(env: Env, actions: readonly RuleAction[]): Promise<void> {
  const named = (kind: string) => [
    ...new Set(
      actions.flatMap((a) => {
        if (kind === "device" && (a.type === "command" || a.type === "shadow.desired") && a.deviceId !== undefined) return [a.deviceId];
        if (kind === "webhook" && a.type === "webhook") return [a.webhookId];
        if (kind === "channel" && a.type === "publish") return [a.channel];
        return [];
      }),
    ),
  ];
  const d = db(env);
  const missing = async (kind: string, table: typeof devices | typeof webhooks | typeof channels) => {
    const ids = named(kind);
    if (ids.length === 0) return;
    const found = new Set((await d.select({ id: table.id }).from(table).where(inArray(table.id, ids)).all()).map((r) => r.id));
    const absent = ids.find((id) => !found.has(id));
    if (absent !== undefined) throw new ApiError("invalid-request", `actions: no ${kind} "${absent}"`);
  };
  await missing("device", devices);
  await missing("webhook", webhooks);
  await missing("channel", channels);
}

/** The ids of the devices a scope covers now. */
async function devicesIn(env: Env, scope: RuleScope): Promise<string[]> {
  const d = db(env);
  switch (scope.kind) {
    case "all":
      return (await d.select({ id: devices.id }).from(devices).all()).map((r) => r.id);
    case "group":
      return (await d.select({ id: groupMembers.deviceId }).from(groupMembers).where(eq(groupMembers.groupName, scope.group)).all()).map((r) => r.id);
    case "tag":
      return (await d.select({ id: devices.id }).from(devices).where(sql`EXISTS (SELECT 1 FROM json_each(${devices.tags}) WHERE json_each.value = ${scope.tag})`).all()).map((r) => r.id);
    case "device":
      // Only a registered device has an object to tell (none is made for an unknown id).
      return (await d.select({ id: devices.id }).from(devices).where(eq(devices.id, scope.deviceId)).all()).map((r) => r.id);
  }
}

/** Tells the devices' objects to reload their rules (one call each; one that fails is parked). */
async function push(env: Env, ids: readonly string[]): Promise<void> {
  await pushOrPark(env, [...new Set(ids)].map((id) => ({ kind: "rules-changed", id })));
}

export async function getRule(env: Env, id: string): Promise<RuleView> {
  const row = await db(env).select().from(rules).where(eq(rules.id, id)).get();
  if (!row) throw new ApiError("not-found", `No rule "${id}"`);
  return view(row);
}

export async function listRules(env: Env, cursor: string | undefined, limit: number): Promise<Page<RuleView>> {
  const after = decodeCursor(cursor);
  const rows = await db(env).select().from(rules).where(after === null ? undefined : gt(rules.id, after)).orderBy(rules.id).limit(limit + 1).all();
  return toPage(rows, limit, (r) => r.id, view);
}

/**
 * Rules a hub holds at most: every message a device sends is matched against each rule in its
 * scope, so their number bounds that work (AWS IoT's default quota is 1,000 per account and region).
 */
export const MAX_RULES = 1000;

export async function createRule(env: Env, id: string, input: { name: string; sql: string; scope: RuleScope; actions: RuleAction[]; enabled: boolean }): Promise<RuleView> {
  checkSql(input.sql);
  await checkActions(env, input.actions);
  const now = Date.now();
  // The count is the insert's own condition, so concurrent creates cannot pass it together.
  const row = await insertUnderLimit(
    db(env),
    rules,
    { id, name: input.name, sql: input.sql, ...scopeColumns(input.scope), actions: input.actions, enabled: input.enabled, version: 1, createdAt: now, updatedAt: now },
    MAX_RULES,
  );
  if (!row) {
    const taken = await db(env).select({ id: rules.id }).from(rules).where(eq(rules.id, id)).get();
    throw new ApiError("conflict", taken ? `Rule "${id}" already exists` : `A hub holds at most ${MAX_RULES} rules`);
  }
  await push(env, await devicesIn(env, input.scope));
  return view(row);
}

export async function updateRule(env: Env, id: string, patch: Partial<{ name: string; sql: string; scope: RuleScope; actions: RuleAction[]; enabled: boolean }>): Promise<RuleView> {
  const before = await getRule(env, id);
  if (patch.sql !== undefined) checkSql(patch.sql);
  if (patch.actions !== undefined) await checkActions(env, patch.actions);
  const set: Partial<RuleRow> = { updatedAt: Date.now(), version: before.version + 1 };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.sql !== undefined) set.sql = patch.sql;
  if (patch.scope !== undefined) Object.assign(set, scopeColumns(patch.scope));
  if (patch.actions !== undefined) set.actions = patch.actions;
  if (patch.enabled !== undefined) set.enabled = patch.enabled;
  const row = await db(env).update(rules).set(set).where(eq(rules.id, id)).returning().get();
  if (!row) throw new ApiError("not-found", `No rule "${id}"`);
  const after = view(row);
  await push(env, [...(await devicesIn(env, before.scope)), ...(await devicesIn(env, after.scope))]);
  return after;
}

export async function deleteRule(env: Env, id: string): Promise<void> {
  const before = await getRule(env, id);
  await db(env).delete(rules).where(eq(rules.id, id));
  await push(env, await devicesIn(env, before.scope));
}

/**
 * The enabled rules that apply to a device now (its id, groups and tags). The groups and tags
 * are read inside the query, not bound as lists: a device may be in many groups with 64 tags,
 * more than the 100 values D1 binds.
 */
export async function rulesFor(env: Env, deviceId: string): Promise<StoredRule[]> {
  const d = db(env);
  const device = await d.select({ id: devices.id }).from(devices).where(eq(devices.id, deviceId)).get();
  if (!device) return [];
  const inGroups = sql`${rules.scopeValue} IN (SELECT ${groupMembers.groupName} FROM ${groupMembers} WHERE ${groupMembers.deviceId} = ${deviceId})`;
  const inTags = sql`${rules.scopeValue} IN (SELECT json_each.value FROM ${devices}, json_each(${devices.tags}) WHERE ${devices.id} = ${deviceId})`;
  const scopes = [
    eq(rules.scopeKind, "all"),
    and(eq(rules.scopeKind, "device"), eq(rules.scopeValue, deviceId)),
    and(eq(rules.scopeKind, "group"), inGroups),
    and(eq(rules.scopeKind, "tag"), inTags),
  ];
  const rows = await d.select().from(rules).where(and(eq(rules.enabled, true), or(...scopes))).all();
  return rows.map((r) => ({ id: r.id, name: r.name, sql: r.sql, version: r.version, actions: r.actions as RuleAction[] }));
}
