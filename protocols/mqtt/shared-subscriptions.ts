/**
 * Shared subscriptions (MQTT 5.0 §4.8.2; offered to 3.1.1 clients too, as Mosquitto and AWS IoT
 * do): `$share/<ShareName>/<filter>`. The sessions that subscribed with the same ShareName and
 * filter form a group, and each message matching the filter goes to one of them, in turn, rather
 * than to all. Pure: the routing points (topic shards, a device's own topics) keep the turn
 * counters and call {@link subscribersOf}.
 */
import type { Message } from "./session-types";
import { isValidTopicFilter, topicMatches } from "./topics";

const PREFIX = "$share/";

/** A shared subscription's parts: `$share/<group>/<filter>`. */
export interface SharedFilter {
  group: string;
  filter: string;
}

/** True for a filter in the shared form (`$share/...`), valid or not. */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(PREFIX);
}

/**
 * The parts of a shared subscription, or null when `filter` is not a valid one: a ShareName of at
 * least one character with no `/`, `+` or `#` [MQTT-4.8.2-1] [MQTT-4.8.2-2], then a valid filter.
 * @example parseSharedFilter("$share/workers/devices/+/telemetry") // { group: "workers", filter: "devices/+/telemetry" }
 * @example parseSharedFilter("$share/a+b/x") // null
 */
export function parseSharedFilter(filter: string): SharedFilter | null {
  if (!isSharedFilter(filter)) return null;
  const slash = filter.indexOf("/", PREFIX.length);
  if (slash <= PREFIX.length) return null;
  const group = filter.slice(PREFIX.length, slash);
  const inner = filter.slice(slash + 1);
  if (group.includes("+") || group.includes("#") || !isValidTopicFilter(inner)) return null;
  return { group, filter: inner };
}

/**
 * The filter a subscription matches topics with: the part after the ShareName for a shared one,
 * else the filter itself.
 * @example matchingFilter("$share/g/a/#") // "a/#"
 */
export function matchingFilter(filter: string): string {
  return parseSharedFilter(filter)?.filter ?? filter;
}

/** A session's subscription as a routing point keeps it. */
export interface RoutedSubscription {
  session: string;
  filter: string;
}

/** No shared group chose the session (it is an ordinary subscriber only). */
const NONE: readonly string[] = [];

/**
 * The sessions `topic` goes to, each once, with the shared subscriptions whose group chose it:
 * every session with an ordinary subscription matching it (`[]` unless a group chose it too), and
 * one member of every shared group whose filter matches it, chosen in turn (`turns` holds each
 * group's counter; members in a stable order). `except` (a device's own session, which its object
 * serves itself) is left out of both. `peek`: the answer without taking the groups' turns (to ask
 * whether a message has anyone to go to before the delivery that takes them).
 * @example subscribersOf([{ session: "a", filter: "$share/g/t" }, { session: "b", filter: "$share/g/t" }], "t", new Map()) // Map {"a" => ["$share/g/t"]}, then Map {"b" => ["$share/g/t"]}
 */
export function subscribersOf(subs: readonly RoutedSubscription[], topic: string, turns: Map<string, number>, opts: { except?: string; peek?: boolean } = {}): Map<string, readonly string[]> {
  const { except, peek = false } = opts;
  const out = new Map<string, readonly string[]>();
  let groups: Map<string, string[]> | null = null;
  for (const s of subs) {
    if (s.session === except) continue;
    if (!isSharedFilter(s.filter)) {
      if (topicMatches(s.filter, topic) && !out.has(s.session)) out.set(s.session, NONE);
      continue;
    }
    const shared = parseSharedFilter(s.filter);
    if (!shared || !topicMatches(shared.filter, topic)) continue;
    groups ??= new Map();
    const members = groups.get(s.filter);
    if (members) members.push(s.session);
    else groups.set(s.filter, [s.session]);
  }
  if (groups) {
    for (const [key, members] of groups) {
      members.sort();
      const turn = turns.get(key) ?? 0;
      if (!peek) turns.set(key, (turn + 1) % members.length);
      const chosen = members[turn % members.length]!;
      out.set(chosen, [...(out.get(chosen) ?? NONE), key]);
    }
  }
  return out;
}

/**
 * The message as it goes to one session: marked with the shared subscriptions whose group chose
 * that session ({@link Message.sharedBy}), so the session counts those and no other shared ones.
 */
export function addressed(m: Message, sharedBy: readonly string[]): Message {
  return sharedBy.length === 0 ? m : { ...m, sharedBy };
}

/**
 * Drops the turns of groups no subscription in `subs` belongs to any more (call when the list
 * changes), so a routing object does not keep a counter for every group it ever saw.
 */
export function pruneTurns(turns: Map<string, number>, subs: readonly RoutedSubscription[]): void {
  if (turns.size === 0) return;
  const live = new Set(subs.map((s) => s.filter));
  for (const key of turns.keys()) if (!live.has(key)) turns.delete(key);
}
