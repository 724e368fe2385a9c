/**
 * Topic policies as data: CRUD, attachments to devices, groups, app credentials and anonymous
 * clients, and simulation. Every change is pushed to the live sessions it reaches before the
 * call returns (see access.ts).
 */
import { and, eq, gt, or } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { explain, isValidTemplate, type PolicyAction, type PolicyStatement, type PolicyVariables } from "../../protocols/mqtt";
import { db } from "../db/client";
import { apiKeys, oauthClients, policies, policyAttachments, type PolicyRow } from "../db/schema";
import { ApiError } from "../errors";
import { decodeCursor, toPage, type Page } from "./pagination";
import { assertUserId } from "./ids";
import { getDevice } from "./devices";
import { getGroup } from "./groups";
import { deviceAccess, refreshTargets, type TargetKind } from "./access";


/** A policy as the API shows it. */
export interface PolicyView {
  id: string;
  name: string | null;
  statements: PolicyStatement[];
  created_at: string;
  updated_at: string;
}

const view = (r: PolicyRow): PolicyView => ({
  id: r.id,
  name: r.name,
  statements: r.statements as PolicyStatement[],
  created_at: new Date(r.createdAt).toISOString(),
  updated_at: new Date(r.updatedAt).toISOString(),
});

/** Refuses statements whose topic templates can never be valid filters (400 naming the first). */
function assertStatements(statements: PolicyStatement[]): void {
  statements.forEach((s, i) =>
    s.topics.forEach((t, j) => {
      if (!isValidTemplate(t)) throw new ApiError("invalid-request", `statements.${i}.topics.${j}: "${t}" is not a valid topic filter template`);
    }),
  );
}

export async function getPolicy(env: Env, id: string): Promise<PolicyView> {
  assertUserId("policy id", id);
  const row = await db(env).select().from(policies).where(eq(policies.id, id)).get();
  if (!row) throw new ApiError("not-found", `No policy "${id}"`);
  return view(row);
}

export async function listPolicies(env: Env, cursor: string | undefined, limit: number): Promise<Page<PolicyView>> {
  const after = decodeCursor(cursor);
  const rows = await db(env).select().from(policies).where(after === null ? undefined : gt(policies.id, after)).orderBy(policies.id).limit(limit + 1).all();
  return toPage(rows, limit, (r) => r.id, view);
}

export async function createPolicy(env: Env, id: string, name: string | null, statements: PolicyStatement[]): Promise<PolicyView> {
  assertUserId("policy id", id);
  assertStatements(statements);
  const now = Date.now();
  const row = await db(env).insert(policies).values({ id, name, statements, createdAt: now, updatedAt: now }).onConflictDoNothing().returning().get();
  if (!row) throw new ApiError("conflict", `Policy "${id}" already exists`);
  return view(row);
}

async function targetsOf(env: Env, id: string): Promise<{ kind: TargetKind; id: string }[]> {
  const rows = await db(env).select().from(policyAttachments).where(eq(policyAttachments.policyId, id)).all();
  return rows.map((r) => ({ kind: r.targetKind, id: r.targetId }));
}

/** Replaces a policy's statements; every session it is attached to follows at once. */
export async function replacePolicy(env: Env, id: string, name: string | null | undefined, statements: PolicyStatement[]): Promise<PolicyView> {
  await getPolicy(env, id);
  assertStatements(statements);
  const set: Partial<PolicyRow> = { statements, updatedAt: Date.now() };
  if (name !== undefined) set.name = name;
  const row = await db(env).update(policies).set(set).where(eq(policies.id, id)).returning().get();
  if (!row) throw new ApiError("not-found", `No policy "${id}"`);
  await refreshTargets(env, await targetsOf(env, id));
  return view(row);
}

/** Deletes a policy and its attachments; the sessions it applied to follow at once. */
export async function deletePolicy(env: Env, id: string): Promise<void> {
  await getPolicy(env, id);
  const targets = await targetsOf(env, id);
  await db(env).delete(policies).where(eq(policies.id, id));
  await refreshTargets(env, targets);
}

/** Checks that a target exists (anonymous: id "*"). */
async function assertTarget(env: Env, kind: TargetKind, id: string): Promise<void> {
  switch (kind) {
    case "device":
      await getDevice(env, id);
      return;
    case "group":
      await getGroup(env, id);
      return;
    case "api-key":
      if (!(await db(env).select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.id, id)).get())) throw new ApiError("not-found", `No API key "${id}"`);
      return;
    case "oauth-client":
      if (!(await db(env).select({ id: oauthClients.id }).from(oauthClients).where(eq(oauthClients.id, id)).get())) throw new ApiError("not-found", `No OAuth client "${id}"`);
      return;
    case "anonymous":
      if (id !== "*") throw new ApiError("invalid-request", 'anonymous clients are one target: "*"');
  }
}

export async function listAttachments(env: Env, id: string, cursor: string | undefined, limit: number): Promise<Page<{ kind: TargetKind; id: string }>> {
  await getPolicy(env, id);
  // Ordered by (kind, target); the cursor is the last row's "kind\ntarget" (a kind holds no newline).
  const after = decodeCursor(cursor);
  const [kind, target] = after === null ? [null, null] : [after.slice(0, after.indexOf("\n")), after.slice(after.indexOf("\n") + 1)];
  const rows = await db(env)
    .select()
    .from(policyAttachments)
    .where(
      and(
        eq(policyAttachments.policyId, id),
        kind === null ? undefined : or(gt(policyAttachments.targetKind, kind as TargetKind), and(eq(policyAttachments.targetKind, kind as TargetKind), gt(policyAttachments.targetId, target!))),
      ),
    )
    .orderBy(policyAttachments.targetKind, policyAttachments.targetId)
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => `${r.targetKind}\n${r.targetId}`, (r) => ({ kind: r.targetKind, id: r.targetId }));
}

/** Attaches a policy (idempotent); the target's live sessions follow at once. */
export async function attachPolicy(env: Env, id: string, kind: TargetKind, target: string): Promise<void> {
  await getPolicy(env, id);
  await assertTarget(env, kind, target);
  await db(env).insert(policyAttachments).values({ policyId: id, targetKind: kind, targetId: target, createdAt: Date.now() }).onConflictDoNothing().run();
  await refreshTargets(env, [{ kind, id: target }]);
}

/** Detaches a policy; 404 when it was not attached. */
export async function detachPolicy(env: Env, id: string, kind: TargetKind, target: string): Promise<void> {
  await getPolicy(env, id);
  const gone = await db(env)
    .delete(policyAttachments)
    .where(and(eq(policyAttachments.policyId, id), eq(policyAttachments.targetKind, kind), eq(policyAttachments.targetId, target)))
    .returning()
    .get();
  if (!gone) throw new ApiError("not-found", `Policy "${id}" is not attached to ${kind} "${target}"`);
  await refreshTargets(env, [{ kind, id: target }]);
}

/** Who a simulation is for: a registered device (its variables from the registry) or given variables. */
export type SimulatedPrincipal = { deviceId: string } | { clientId?: string; variables?: Record<string, string | string[]> };

/** Evaluates one policy (alone) for a principal: allowed or not, and the statement that decided. */
export async function simulatePolicy(env: Env, id: string, principal: SimulatedPrincipal, action: PolicyAction, topic: string) {
  const policy = await getPolicy(env, id);
  let variables: PolicyVariables;
  if ("deviceId" in principal) {
    await getDevice(env, principal.deviceId);
    variables = (await deviceAccess(env, principal.deviceId)).variables;
  } else {
    variables = { ...(principal.variables ?? {}), ...(principal.clientId === undefined ? {} : { clientId: principal.clientId }) };
  }
  const d = explain(policy.statements, variables, action, topic);
  return { allowed: d.allowed, statement: d.statement === null ? null : { index: d.statement, ...policy.statements[d.statement]! }, variables };
}
