/** `/v1/webhooks`: signed HTTP callbacks for device events (Standard Webhooks), scope `webhooks:write`. */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { IdSchema, PageQuery, TagSchema, jsonBody, jsonResponse, pageOf } from "./schemas";
import { WEBHOOK_EVENT_TYPES } from "../../durable-objects/webhook/events";
import { DEFAULT_ROTATION_GRACE_SECONDS, createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, rotateWebhookSecret, updateWebhook } from "../registry/webhooks";

/** The webhook routes, mounted by the app. */
export const webhookRoutes = router();

const EventType = z.enum(WEBHOOK_EVENT_TYPES);
const Filter = z
  .union([z.strictObject({ deviceId: IdSchema }), z.strictObject({ group: IdSchema }), z.strictObject({ tag: TagSchema })])
  .nullable()
  .openapi("WebhookFilter", { description: "Only events of one device, of a group's members, or of the devices with a tag; null: every device" });
const Url = z.string().max(2048).openapi({ example: "https://hooks.example.com/umbra", description: "http(s); private and loopback addresses only with WEBHOOK_ALLOW_PRIVATE=true" });
const Events = z.array(EventType).min(1).max(WEBHOOK_EVENT_TYPES.length);

const Webhook = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(EventType),
    filter: Filter,
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().openapi({ description: "Why it is disabled: by PATCH, or after a day of failed deliveries" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");
const Delivery = z
  .object({
    pending: z.number().int().openapi({ description: "Events in the outbox" }),
    dropped: z.number().int().openapi({ description: "Oldest events dropped because the outbox held 10,000" }),
    consecutive_failures: z.number().int(),
    failing_since: z.string().nullable().openapi({ description: "When the first failure of the current streak was (ISO 8601); null while delivering" }),
  })
  .openapi("WebhookDeliveryState");
const Created = Webhook.extend({ secret: z.string().openapi({ description: "whsec_…: shown once" }) }).openapi("WebhookCreated");
const NewWebhook = z.strictObject({ url: Url, events: Events, filter: Filter.optional(), description: z.string().max(1024).nullable().optional() });
const PatchWebhook = z.strictObject({ url: Url.optional(), events: Events.optional(), filter: Filter.optional(), description: z.string().max(1024).nullable().optional(), enabled: z.boolean().optional() });
const Rotate = z.strictObject({
  grace_seconds: z.number().int().min(0).max(DEFAULT_ROTATION_GRACE_SECONDS).optional().openapi({ description: "How long the replaced secret keeps signing (default 86400; 0 ends it now, for a leaked secret)" }),
});
const Params = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const DeliveryItem = z
  .object({
    id: z.string().openapi({ description: "The event id, sent as webhook-id (the same on every attempt)" }),
    type: EventType,
    device_id: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    last_status: z.number().int().nullable().openapi({ description: "HTTP status of the last attempt (null: no answer)" }),
    last_error: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("WebhookDelivery");

const access = { scope: "webhooks:write" } as const;

webhookRoutes.openapi(
  secured(access, {
    operationId: "createWebhook",
    method: "post",
    path: "/v1/webhooks",
    summary: "Create a webhook; its signing secret is in the answer, once",
    request: jsonBody(NewWebhook),
    responses: { 201: jsonResponse(Created, "Created"), 409: { description: "The hub holds 100 webhooks already" } },
  }),
  async (c) => c.json(await createWebhook(c.env, c.req.valid("json")), 201),
);

webhookRoutes.openapi(
  secured(access, {
    operationId: "listWebhooks",
    method: "get",
    path: "/v1/webhooks",
    summary: "List webhooks",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(pageOf(Webhook, "WebhookPage"), "A page of webhooks") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listWebhooks(c.env, cursor, limit), 200);
  },
);

webhookRoutes.openapi(
  secured(access, {
    operationId: "getWebhook",
    method: "get",
    path: "/v1/webhooks/{id}",
    summary: "Read a webhook and its delivery state",
    request: { params: Params },
    responses: { 200: jsonResponse(Webhook.extend({ delivery: Delivery }).openapi("WebhookWithState"), "The webhook") },
  }),
  async (c) => c.json(await getWebhook(c.env, c.req.valid("param").id), 200),
);

webhookRoutes.openapi(
  secured(access, {
    operationId: "updateWebhook",
    method: "patch",
    path: "/v1/webhooks/{id}",
    summary: "Change a webhook; enabled:true re-enables one disabled after failures",
    request: { params: Params, ...jsonBody(PatchWebhook) },
    responses: { 200: jsonResponse(Webhook, "The webhook") },
  }),
  async (c) => c.json(await updateWebhook(c.env, c.req.valid("param").id, c.req.valid("json")), 200),
);

webhookRoutes.openapi(
  secured(access, {
    operationId: "deleteWebhook",
    method: "delete",
    path: "/v1/webhooks/{id}",
    summary: "Delete a webhook (its outbox and log go with it)",
    request: { params: Params },
    responses: { 204: { description: "Deleted" } },
  }),
  async (c) => {
    await deleteWebhook(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

webhookRoutes.openapi(
  secured(access, {
    operationId: "rotateWebhookSecret",
    method: "post",
    path: "/v1/webhooks/{id}/rotate-secret",
    summary:
      "A new signing secret; the one it replaces keeps signing beside it for `grace_seconds` (default 86400 = 24 h; 0 ends it now), and any earlier replaced secret ends now: at most two sign",
    request: { params: Params, body: { content: { "application/json": { schema: Rotate } }, required: false } },
    responses: {
      200: jsonResponse(
        z
          .object({
            secret: z.string(),
            previous_expires_at: z.string().openapi({ description: "When the replaced secret stops signing (now with grace_seconds 0)" }),
          })
          .openapi("WebhookSecret"),
        "The new secret, shown once",
      ),
    },
  }),
  async (c) => {
    // The body is optional: with none, the replaced secret signs for the default 24 h.
    const body: { grace_seconds?: number } = c.req.valid("json") ?? {};
    return c.json(await rotateWebhookSecret(c.env, c.req.valid("param").id, body.grace_seconds), 200);
  },
);

webhookRoutes.openapi(
  secured(access, {
    operationId: "listWebhookDeliveries",
    method: "get",
    path: "/v1/webhooks/{id}/deliveries",
    summary: "The delivery log, newest first: pending events and the last 1,000 delivered or given up",
    request: { params: Params, query: PageQuery },
    responses: { 200: jsonResponse(pageOf(DeliveryItem, "WebhookDeliveryPage"), "A page of deliveries") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listDeliveries(c.env, c.req.valid("param").id, cursor, limit), 200);
  },
);
