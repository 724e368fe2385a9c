/**
 * `/v1/rules`: rules in a small SQL-like language (rules/README.md), scoped to all devices, a
 * group, a tag or one device, evaluated in each device's object as its data arrives; and a
 * test endpoint that evaluates a rule against a sample without side effects.
 */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { JsonObjectSchema, PageQuery, jsonBody, jsonResponse, pageOf } from "./schemas";
import { checkSql, createRule, deleteRule, getRule, listRules, updateRule } from "../registry/rules";
import { compileRule, evaluate, RULE_SOURCES } from "../../rules";
import { randomId } from "../auth/crypto";
import type { JsonObject } from "../../protocols/json-value";
import type { RuleAction } from "../../durable-objects/device/rule-types";
import { SHADOW_NAME } from "../../shadow/shadow-limits";
import { COMMAND_NAME } from "../../protocols/mqtt/hub-topics";
import { hasScope, type Scope } from "../auth/principal";
import { ApiError } from "../errors";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";

export const ruleRoutes = router();

/** The scope each action needs besides rules:write: what its REST route needs (a rule must not do what its author cannot). */
const ACTION_SCOPES: Record<RuleAction["type"], Scope> = { command: "commands:write", "shadow.desired": "shadows:write", webhook: "webhooks:write", publish: "devices:write" };

/** Refuses (403) a rule whose actions need a scope the caller does not hold. */
function requireActionScopes(c: Context<AppEnv>, actions: readonly { type: RuleAction["type"] }[]): void {
  const missing = [...new Set(actions.map((a) => ACTION_SCOPES[a.type]))].filter((s) => !hasScope(c.get("principal"), s));
  if (missing.length > 0) throw new ApiError("forbidden", `This rule's actions need the ${missing.map((s) => `"${s}"`).join(" and ")} scope${missing.length > 1 ? "s" : ""} besides "rules:write"`, { missing });
}

const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must match [A-Za-z0-9_.:-]{1,128}");
const Scope = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("all") }),
    z.strictObject({ kind: z.literal("group"), group: Id }),
    z.strictObject({ kind: z.literal("tag"), tag: z.string().min(1).max(128) }),
    z.strictObject({ kind: z.literal("device"), deviceId: Id }),
  ])
  .openapi("RuleScope");
const Action = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("webhook"), webhookId: z.string().min(1).max(128) }),
    z.strictObject({ type: z.literal("command"), deviceId: Id.optional(), name: z.string().regex(COMMAND_NAME), payload: z.unknown().optional() }),
    z.strictObject({ type: z.literal("shadow.desired"), deviceId: Id.optional(), shadow: z.string().regex(SHADOW_NAME).optional(), state: JsonObjectSchema }),
    z.strictObject({ type: z.literal("publish"), channel: Id, subtopic: z.string().min(1).max(256).regex(/^[^+#]*$/, "no wildcards").optional() }),
  ])
  .openapi("RuleAction");
const Rule = z
  .object({
    id: z.string(),
    name: z.string(),
    sql: z.string(),
    scope: Scope,
    actions: z.array(Action),
    enabled: z.boolean(),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Rule");
const NewRule = z.strictObject({
  id: Id.optional(),
  name: z.string().min(1).max(256),
  sql: z.string().min(1).max(4096),
  scope: Scope.optional(),
  actions: z.array(Action).max(16).default([]),
  enabled: z.boolean().default(true),
});
const PatchRule = z.strictObject({
  name: z.string().min(1).max(256).optional(),
  sql: z.string().min(1).max(4096).optional(),
  scope: Scope.optional(),
  actions: z.array(Action).max(16).optional(),
  enabled: z.boolean().optional(),
});
const RuleParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const TestInput = z.strictObject({
  input: z.strictObject({ source: z.enum(RULE_SOURCES), data: JsonObjectSchema, ts: z.number().int().optional(), topic: z.string().nullable().optional() }),
  deviceId: z.string().optional(),
});
const TestResult = z.object({ fired: z.boolean(), outputs: z.array(JsonObjectSchema), wakeAt: z.number().nullable() }).openapi("RuleTestResult");

ruleRoutes.openapi(
  secured({ scope: "rules:write" }, {
    operationId: "createRule",
    method: "post",
    path: "/v1/rules",
    summary: "Create a rule (a syntax error is a 400 naming line and column)",
    request: jsonBody(NewRule),
    responses: { 201: jsonResponse(Rule, "Created"), 409: { description: "The id is taken, or the hub holds MAX_RULES (1,000) rules already" } },
  }),
  async (c) => {
    const b = c.req.valid("json");
    requireActionScopes(c, b.actions);
    // The body was parsed from JSON, so every payload and state in it is JSON.
    return c.json(await createRule(c.env, b.id ?? randomId("rule"), { name: b.name, sql: b.sql, scope: b.scope ?? { kind: "all" }, actions: b.actions as RuleAction[], enabled: b.enabled }), 201);
  },
);

ruleRoutes.openapi(
  secured({ scope: "devices:read" }, { operationId: "listRules", method: "get", path: "/v1/rules", summary: "List rules", request: { query: PageQuery }, responses: { 200: jsonResponse(pageOf(Rule, "RulePage"), "A page of rules") } }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listRules(c.env, cursor, limit), 200);
  },
);

ruleRoutes.openapi(
  secured({ scope: "devices:read" }, { operationId: "getRule", method: "get", path: "/v1/rules/{id}", summary: "Read a rule", request: { params: RuleParams }, responses: { 200: jsonResponse(Rule, "The rule") } }),
  async (c) => c.json(await getRule(c.env, c.req.valid("param").id), 200),
);

ruleRoutes.openapi(
  secured({ scope: "rules:write" }, {
    operationId: "updateRule",
    method: "patch",
    path: "/v1/rules/{id}",
    summary: "Change a rule; devices judge their next event by it",
    request: { params: RuleParams, ...jsonBody(PatchRule) },
    responses: { 200: jsonResponse(Rule, "The rule") },
  }),
  async (c) => {
    const { actions, ...rest } = c.req.valid("json");
    // What the rule does, or to which devices and when, changes: its author needs its actions' scopes.
    if (actions !== undefined || rest.sql !== undefined || rest.scope !== undefined) requireActionScopes(c, actions ?? (await getRule(c.env, c.req.valid("param").id)).actions);
    return c.json(await updateRule(c.env, c.req.valid("param").id, actions === undefined ? rest : { ...rest, actions: actions as RuleAction[] }), 200);
  },
);

ruleRoutes.openapi(
  secured({ scope: "rules:write" }, { operationId: "deleteRule", method: "delete", path: "/v1/rules/{id}", summary: "Delete a rule", request: { params: RuleParams }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await deleteRule(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

ruleRoutes.openapi(
  secured({ scope: "rules:write" }, {
    operationId: "testRule",
    method: "post",
    path: "/v1/rules/{id}/test",
    summary: "Evaluate a rule against one sample event, from a fresh state, without side effects",
    request: { params: RuleParams, ...jsonBody(TestInput) },
    responses: { 200: jsonResponse(TestResult, "Whether it fired, and the outputs") },
  }),
  async (c) => {
    const rule = await getRule(c.env, c.req.valid("param").id);
    checkSql(rule.sql);
    const compiled = compileRule(rule.sql);
    if (!compiled.ok) throw new Error("unreachable: checked above");
    const { input, deviceId } = c.req.valid("json");
    const r = evaluate(compiled.rule, null, { ...input, data: input.data as JsonObject }, { deviceId: deviceId ?? "test-device", now: Date.now() });
    return c.json({ fired: r.firings.length > 0, outputs: r.firings.map((f) => f.output), wakeAt: r.wakeAt }, 200);
  },
);
