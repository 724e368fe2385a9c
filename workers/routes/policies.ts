/**
 * `/v1/policies`: MQTT topic policies as data (AWS IoT-policy-like), their attachments to
 * devices, groups, API keys, OAuth clients and anonymous clients, and a simulator. Policies
 * decide who may publish, subscribe and receive where; changes reach live sessions at once.
 */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { IdSchema, PageQuery, jsonBody, jsonResponse, pageOf } from "./schemas";
import { attachPolicy, createPolicy, deletePolicy, detachPolicy, getPolicy, listAttachments, listPolicies, replacePolicy, simulatePolicy } from "../registry/policies";
import { randomId } from "../auth/crypto";

export const policyRoutes = router();

const Action = z.enum(["publish", "subscribe", "receive"]);
const Statement = z
  .strictObject({
    effect: z.enum(["allow", "deny"]),
    actions: z.array(Action).min(1).max(3),
    topics: z.array(z.string().min(1).max(512)).min(1).max(64).openapi({ description: "Topic filters with `${deviceId}`, `${clientId}`, `${tag:<key>}`, `${attr:<key>}`, `${group}`, `${channel}`" }),
  })
  .openapi("PolicyStatement");
const Policy = z
  .object({ id: z.string(), name: z.string().nullable(), statements: z.array(Statement), created_at: z.string(), updated_at: z.string() })
  .openapi("Policy");
const NewPolicy = z.strictObject({ id: IdSchema.optional(), name: z.string().max(256).nullable().optional(), statements: z.array(Statement).max(256) });
const PutPolicy = z.strictObject({ name: z.string().max(256).nullable().optional(), statements: z.array(Statement).max(256) });
const PolicyParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const TargetKind = z.enum(["device", "group", "api-key", "oauth-client", "anonymous"]);
const AttachmentParams = PolicyParams.extend({
  kind: TargetKind.openapi({ param: { name: "kind", in: "path" } }),
  target: z.string().openapi({ param: { name: "target", in: "path" }, description: 'The device id, group name, key id, client id, or "*" for anonymous' }),
});
const Attachment = z.object({ kind: TargetKind, id: z.string() }).openapi("PolicyAttachment");
const Simulate = z.strictObject({
  principal: z.union([z.strictObject({ deviceId: z.string() }), z.strictObject({ clientId: z.string().optional(), variables: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional() })]),
  action: Action,
  topic: z.string().min(1).max(65535),
});
const Decision = z
  .object({ allowed: z.boolean(), statement: z.object({ index: z.number().int(), ...Statement.shape }).strict().nullable().openapi({ description: "The statement that decides, with its index in the policy; null when none matches (denied by default)" }), variables: z.record(z.string(), z.unknown()) })
  .openapi("PolicyDecision");

policyRoutes.openapi(
  secured({ scope: "admin" }, { operationId: "createPolicy", method: "post", path: "/v1/policies", summary: "Create a policy", request: jsonBody(NewPolicy), responses: { 201: jsonResponse(Policy, "Created"), 409: { description: "The id is taken" } } }),
  async (c) => {
    const { id, name, statements } = c.req.valid("json");
    return c.json(await createPolicy(c.env, id ?? randomId("pol"), name ?? null, statements), 201);
  },
);

policyRoutes.openapi(
  secured({ scope: "admin" }, { operationId: "listPolicies", method: "get", path: "/v1/policies", summary: "List policies", request: { query: PageQuery }, responses: { 200: jsonResponse(pageOf(Policy, "PolicyPage"), "A page of policies") } }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listPolicies(c.env, cursor, limit), 200);
  },
);

policyRoutes.openapi(
  secured({ scope: "admin" }, { operationId: "getPolicy", method: "get", path: "/v1/policies/{id}", summary: "Read a policy", request: { params: PolicyParams }, responses: { 200: jsonResponse(Policy, "The policy") } }),
  async (c) => c.json(await getPolicy(c.env, c.req.valid("param").id), 200),
);

policyRoutes.openapi(
  secured({ scope: "admin" }, {
    operationId: "replacePolicy",
    method: "put",
    path: "/v1/policies/{id}",
    summary: "Replace a policy's statements (live sessions follow at once)",
    request: { params: PolicyParams, ...jsonBody(PutPolicy) },
    responses: { 200: jsonResponse(Policy, "The policy") },
  }),
  async (c) => {
    const { name, statements } = c.req.valid("json");
    return c.json(await replacePolicy(c.env, c.req.valid("param").id, name, statements), 200);
  },
);

policyRoutes.openapi(
  secured({ scope: "admin" }, { operationId: "deletePolicy", method: "delete", path: "/v1/policies/{id}", summary: "Delete a policy and its attachments", request: { params: PolicyParams }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await deletePolicy(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

policyRoutes.openapi(
  secured({ scope: "admin" }, {
    operationId: "listPolicyAttachments",
    method: "get",
    path: "/v1/policies/{id}/attachments",
    summary: "Who a policy is attached to, a page at a time",
    request: { params: PolicyParams, query: PageQuery },
    responses: { 200: jsonResponse(pageOf(Attachment, "AttachmentPage"), "Attachments") },
  }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(await listAttachments(c.env, c.req.valid("param").id, q.cursor, q.limit), 200);
  },
);

policyRoutes.openapi(
  secured({ scope: "admin" }, {
    operationId: "attachPolicy",
    method: "put",
    path: "/v1/policies/{id}/attachments/{kind}/{target}",
    summary: "Attach a policy to a device, group, API key, OAuth client or anonymous clients (*)",
    request: { params: AttachmentParams },
    responses: { 204: { description: "Attached" } },
  }),
  async (c) => {
    const { id, kind, target } = c.req.valid("param");
    await attachPolicy(c.env, id, kind, target);
    return c.body(null, 204);
  },
);

policyRoutes.openapi(
  secured({ scope: "admin" }, { operationId: "detachPolicy", method: "delete", path: "/v1/policies/{id}/attachments/{kind}/{target}", summary: "Detach a policy", request: { params: AttachmentParams }, responses: { 204: { description: "Detached" } } }),
  async (c) => {
    const { id, kind, target } = c.req.valid("param");
    await detachPolicy(c.env, id, kind, target);
    return c.body(null, 204);
  },
);

policyRoutes.openapi(
  secured({ scope: "admin" }, {
    operationId: "simulatePolicy",
    method: "post",
    path: "/v1/policies/{id}/simulate",
    summary: "Would this policy allow a principal an action on a topic, and which statement decides",
    request: { params: PolicyParams, ...jsonBody(Simulate) },
    responses: { 200: jsonResponse(Decision, "The decision") },
  }),
  async (c) => {
    const { principal, action, topic } = c.req.valid("json");
    return c.json(await simulatePolicy(c.env, c.req.valid("param").id, principal, action, topic), 200);
  },
);
