/**
 * Webhooks in the registry (D1) and their objects: every change is written to D1 and pushed
 * to the webhook's object before the call answers, so its topic filters are registered (or
 * dropped) in the shards by then. Secrets are made and kept by the object; D1 never holds one.
 */
import { eq, gt } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import type { WebhookObject, WebhookSettings, WebhookState } from "../../durable-objects/webhook/webhook-object";
import type { WebhookEventType, WebhookFilter } from "../../durable-objects/webhook/events";
import { urlProblem } from "../../durable-objects/webhook/url-policy";
import { db } from "../db/client";
import { insertUnderLimit } from "../db/insert-under-limit";
import { webhooks, type WebhookRow } from "../db/schema";
import { ApiError } from "../errors";
import { randomId } from "../auth/crypto";
import { decodeCursor, decodeNumericCursor, encodeCursor, toPage, type Page } from "./pagination";
import { flagVar } from "../../durable-objects/vars";

/** Webhooks a hub holds at most: each wildcard filter sits in every shard and in every publishing device's route cache. */
export const MAX_WEBHOOKS = 100;

/** A webhook as the API shows it. */
export interface WebhookView {
  id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  filter: WebhookFilter;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** Input of a new webhook. */
export interface NewWebhook {
  url: string;
  events: WebhookEventType[];
  filter?: WebhookFilter;
  description?: string | null;
}

/** Changes of a webhook: every field optional. */
export interface WebhookPatch {
  url?: string;
  events?: WebhookEventType[];
  filter?: WebhookFilter;
  description?: string | null;
  enabled?: boolean;
}

const view = (r: WebhookRow): WebhookView => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: r.events as WebhookEventType[],
  filter: (r.filter ?? null) as WebhookFilter,
  enabled: r.enabled,
  disabled_reason: r.disabledReason,
  created_at: new Date(r.createdAt).toISOString(),
  updated_at: new Date(r.updatedAt).toISOString(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const settings = (r: WebhookRow): WebhookSettings => ({ id: r.id, url: r.url, events: r.events as WebhookEventType[], filter: (r.filter ?? null) as WebhookFilter, enabled: r.enabled, updatedAt: r.updatedAt });

/** The object of a webhook. */
export function webhookStub(env: Env, id: string): DurableObjectStub<WebhookObject> {
  return env.WEBHOOK.get(env.WEBHOOK.idFromName(id));
}

function assertUrl(env: Env, url: string): void {
  const problem = urlProblem(url, flagVar(env, "WEBHOOK_ALLOW_PRIVATE"));
  if (problem) throw new ApiError("invalid-request", `url: ${problem}`);
}

async function row(env: Env, id: string): Promise<WebhookRow> {
  const r = await db(env).select().from(webhooks).where(eq(webhooks.id, id)).get();
  if (!r) throw new ApiError("not-found", `No webhook "${id}"`);
  return r;
}

/** Creates a webhook; its secret is in the answer, once. */
export async function createWebhook(env: Env, input: NewWebhook): Promise<WebhookView & { secret: string }> {
  assertUrl(env, input.url);
  const now = Date.now();
  // The count is the insert's own condition, so concurrent creates cannot pass it together.
  const r = await insertUnderLimit(
    db(env),
    webhooks,
    { id: randomId("wh"), url: input.url, description: input.description ?? null, events: [...new Set(input.events)], filter: input.filter ?? null, enabled: true, disabledReason: null, createdAt: now, updatedAt: now },
    MAX_WEBHOOKS,
  );
  if (!r) throw new ApiError("conflict", `A hub holds at most ${MAX_WEBHOOKS} webhooks`);
  try {
    const { secret } = await webhookStub(env, r.id).configure(settings(r), true);
    if (!secret) throw new Error("the webhook object made no secret");
    return { ...view(r), secret };
  } catch (err) {
    await db(env).delete(webhooks).where(eq(webhooks.id, r.id)).run();
    throw err;
  }
}

/** Lists webhooks by id, a page at a time. */
export async function listWebhooks(env: Env, cursor: string | undefined, limit: number): Promise<Page<WebhookView>> {
  const after = decodeCursor(cursor);
  const rows = await db(env)
    .select()
    .from(webhooks)
    .where(after === null ? undefined : gt(webhooks.id, after))
    .orderBy(webhooks.id)
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.id, view);
}

/** A webhook's outbox and failure figures as the API shows them (times in ISO 8601, as everywhere). */
export type WebhookStateView = Omit<WebhookState, "failing_since"> & { failing_since: string | null };

/** One webhook, with its outbox and failure figures. */
export async function getWebhook(env: Env, id: string): Promise<WebhookView & { delivery: WebhookStateView }> {
  const r = await row(env, id);
  const state = await webhookStub(env, id).state();
  return { ...view(r), delivery: { ...state, failing_since: iso(state.failing_since) } };
}

/** Changes a webhook; `enabled: true` also clears a disabled state and its failure streak. */
export async function updateWebhook(env: Env, id: string, patch: WebhookPatch): Promise<WebhookView> {
  await row(env, id);
  if (patch.url !== undefined) assertUrl(env, patch.url);
  const set: Partial<WebhookRow> = { updatedAt: Date.now() };
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.events !== undefined) set.events = [...new Set(patch.events)];
  if (patch.filter !== undefined) set.filter = patch.filter;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.enabled !== undefined) {
    set.enabled = patch.enabled;
    set.disabledReason = patch.enabled ? null : "disabled by PATCH";
  }
  const r = await db(env).update(webhooks).set(set).where(eq(webhooks.id, id)).returning().get();
  if (!r) throw new ApiError("not-found", `No webhook "${id}"`);
  await webhookStub(env, id).configure(settings(r));
  return view(r);
}

/** Deletes a webhook: its filters leave the shards first, then its object and row go. */
export async function deleteWebhook(env: Env, id: string): Promise<void> {
  await row(env, id);
  await webhookStub(env, id).remove();
  await db(env).delete(webhooks).where(eq(webhooks.id, id)).run();
}

/** A replaced secret's default grace: it keeps signing beside the new one for 24 h. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;

/**
 * A new secret; the one it replaces keeps signing beside it for `graceSeconds` (0: it ends now,
 * and `previous_expires_at` is now). Any earlier replaced secret ends now: at most two sign.
 */
export async function rotateWebhookSecret(env: Env, id: string, graceSeconds = DEFAULT_ROTATION_GRACE_SECONDS): Promise<{ secret: string; previous_expires_at: string }> {
  await row(env, id);
  const r = await webhookStub(env, id).rotateSecret(graceSeconds * 1000);
  return { secret: r.secret, previous_expires_at: new Date(r.previous_expires_at).toISOString() };
}

/** One event in the delivery log. */
export interface DeliveryView {
  id: string;
  type: string;
  device_id: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

/** The delivery log of a webhook, newest first. */
export async function listDeliveries(env: Env, id: string, cursor: string | undefined, limit: number): Promise<Page<DeliveryView>> {
  await row(env, id);
  const rows = await webhookStub(env, id).deliveries(decodeNumericCursor(cursor), limit + 1);
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(
    (r): DeliveryView => ({
      id: r.id,
      type: r.type,
      device_id: r.device_id,
      status: r.state,
      attempts: r.attempts,
      last_status: r.last_status,
      last_error: r.last_error,
      next_attempt_at: r.state === "pending" ? iso(r.next_at) : null,
      delivered_at: iso(r.delivered_at),
      created_at: new Date(r.created_at).toISOString(),
    }),
  );
  const last = items.length ? rows[items.length - 1] : undefined;
  return { items, next_cursor: more && last ? encodeCursor(String(last.seq)) : null };
}
