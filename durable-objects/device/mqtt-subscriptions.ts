/** Channel bookkeeping for MQTT subscriptions (pure). */
import type { Subscription } from "../../protocols/mqtt";

const CHANNEL_FILTER = /^channels\/([^/+#]+)\/messages(?:$|\/)/;

/** The channel a filter subscribes under, or null (device or shadow topics). */
export function channelOfFilter(filter: string): string | null {
  return CHANNEL_FILTER.exec(filter)?.[1] ?? null;
}

/** Filters subscribed and unsubscribed between two subscription lists. */
export function subscriptionChanges(before: readonly Subscription[], after: readonly Subscription[]): { added: string[]; removed: string[] } {
  const b = new Set(before.map((s) => s.filter));
  const a = new Set(after.map((s) => s.filter));
  return { added: [...a].filter((f) => !b.has(f)), removed: [...b].filter((f) => !a.has(f)) };
}
