/**
 * Events sent to one webhook by id rather than through the topic space: a rule's
 * `{type: "webhook", webhookId}` action. They are taken whatever the webhook's event types and
 * filter (the rule named it), unless it is disabled; an unknown (or deleted) id takes nothing.
 */
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";
import { WEBHOOK_EVENT_TYPES, eventOf, type WebhookEvent } from "./events";

/** The part of WebhookObject this needs (RPC types give up on recursive JSON). */
interface Direct {
  deliverEvents(events: WebhookEvent[]): Promise<"taken" | "disabled" | "deleted">;
}

/**
 * Sends messages on device topics (e.g. a firing on `devices/<id>/rules/<ruleId>`) to one
 * webhook as events; resolves once they are in its outbox, or with why the webhook took none.
 * @example await deliverToWebhook(env, action.webhookId, [firingMessage]) // "taken"
 */
export async function deliverToWebhook(env: Env, webhookId: string, messages: readonly Message[]): Promise<"taken" | "disabled" | "deleted"> {
  const now = Date.now();
  const events = messages.map((m) => eventOf(m, WEBHOOK_EVENT_TYPES, now)).filter((e): e is WebhookEvent => e !== null);
  if (events.length === 0) return "taken";
  return (env.WEBHOOK.get(env.WEBHOOK.idFromName(webhookId)) as unknown as Direct).deliverEvents(events);
}
