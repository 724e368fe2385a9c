/** Which subscribers a channel message goes to (pure). */
import { topicMatches } from "../../protocols/mqtt/topics";

/** One device's subscription to a filter under the channel. */
export interface Subscriber {
  deviceId: string;
  filter: string;
}

/** The devices with at least one filter matching `topic`, each once. */
export function subscribersFor(subscribers: readonly Subscriber[], topic: string): string[] {
  const out = new Set<string>();
  for (const s of subscribers) if (!out.has(s.deviceId) && topicMatches(s.filter, topic)) out.add(s.deviceId);
  return [...out];
}
