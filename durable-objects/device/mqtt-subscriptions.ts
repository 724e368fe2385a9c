/** Which filters a SUBSCRIBE or UNSUBSCRIBE added and removed, and telling the shards. */
import type { Message, Subscription } from "../../protocols/mqtt";
import type { MqttServices } from "./mqtt-services";

/** Filters subscribed and unsubscribed between two subscription lists. */
export function subscriptionChanges(before: readonly Subscription[], after: readonly Subscription[]): { added: string[]; removed: string[] } {
  const b = new Set(before.map((s) => s.filter));
  const a = new Set(after.map((s) => s.filter));
  return { added: [...a].filter((f) => !b.has(f)), removed: [...b].filter((f) => !a.has(f)) };
}

/** Registers added filters and drops removed ones where the session's messages come from; the retained messages of the added ones. */
export async function syncSubscriptions(
  svc: Pick<MqttServices, "subscribe" | "unsubscribe">,
  before: readonly Subscription[],
  after: readonly Subscription[],
): Promise<ReadonlyMap<string, Message[]>> {
  const { added, removed } = subscriptionChanges(before, after);
  if (removed.length) await svc.unsubscribe(removed);
  return added.length ? svc.subscribe(added) : new Map();
}
