/** Which filters a SUBSCRIBE or UNSUBSCRIBE added and removed (pure). */
import type { Subscription } from "../../protocols/mqtt";

/** Filters subscribed and unsubscribed between two subscription lists. */
export function subscriptionChanges(before: readonly Subscription[], after: readonly Subscription[]): { added: string[]; removed: string[] } {
  const b = new Set(before.map((s) => s.filter));
  const a = new Set(after.map((s) => s.filter));
  return { added: [...a].filter((f) => !b.has(f)), removed: [...b].filter((f) => !a.has(f)) };
}
