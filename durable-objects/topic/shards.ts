/**
 * How the topic space is cut into shards (pure). Each tenant's topics are spread over a fixed
 * number of TopicObjects by a hash of the topic's *root*: its first level, the first two for
 * `channels/<ch>/…`, and the device id for a device's own topics (`devices/<id>/…` and
 * `$aws/things/<id>/…`). A subscription whose root is literal lives in one shard; one with a
 * wildcard in its root (`+/alarms`, `#`, `devices/+/telemetry`) lives in every shard of the
 * tenant, so a publish only ever consults the one shard of its topic. A single root's
 * throughput is one object's.
 *
 * Device-owned topics are special: the device's object publishes them itself (telemetry,
 * shadow responses) straight to the subscribers its shard names, so a shard is never on a
 * telemetry message's path; the shard only keeps the subscriptions and retained messages.
 */

import { matchingFilter } from "../../protocols/mqtt/shared-subscriptions";

/** A tenant's topic space: all authenticated principals share "default"; the anonymous sandbox is apart. */
export type Tenant = "default" | "sandbox";

/** What a topic is, for routing. */
export type TopicClass =
  | { kind: "device"; deviceId: string }
  | { kind: "shared"; root: string }
  | { kind: "reserved" };

const DEVICE = /^devices\/([^/]+)(?:\/|$)/;
const SHADOW = /^\$aws\/things\/([^/]+)(?:\/|$)/;

/**
 * Classifies a topic name. `$SYS/…` and `$aws/…` (but a device's own `$aws/things/<id>/…`)
 * are reserved: nobody publishes there. Other `$` topics are open ones (wildcard-rooted filters
 * never match them [MQTT-4.7.2-1]; a policy must name them).
 * @example topicClass("devices/d1/telemetry/temp") // { kind: "device", deviceId: "d1" }
 * @example topicClass("channels/kitchen/messages/x") // { kind: "shared", root: "channels/kitchen" }
 */
export function topicClass(topic: string): TopicClass {
  const d = DEVICE.exec(topic) ?? SHADOW.exec(topic);
  if (d?.[1]) return { kind: "device", deviceId: d[1] };
  if (topic === "$SYS" || topic.startsWith("$SYS/") || topic === "$aws" || topic.startsWith("$aws/")) return { kind: "reserved" };
  const levels = topic.split("/");
  const root = levels[0] === "channels" && levels.length > 1 ? `channels/${levels[1]}` : (levels[0] ?? "");
  return { kind: "shared", root };
}

/** The root a filter's shard is chosen by, or null when that root has a wildcard (all shards). */
export function filterRoot(filter: string): { kind: "device"; deviceId: string } | { kind: "shared"; root: string } | null {
  const levels = filter.split("/");
  const wild = (l: string | undefined) => l === undefined || l === "+" || l === "#";
  // An empty id is no device: such topics are shared ones rooted at "devices" (see topicClass).
  if (levels[0] === "devices") return wild(levels[1]) ? null : levels[1] === "" ? { kind: "shared", root: "devices" } : { kind: "device", deviceId: levels[1]! };
  if (levels[0] === "$aws") {
    if (wild(levels[1]) || (levels[1] === "things" && wild(levels[2]))) return null;
    return levels[1] === "things" && levels[2] !== "" ? { kind: "device", deviceId: levels[2]! } : { kind: "shared", root: "$aws" };
  }
  if (wild(levels[0])) return null;
  if (levels[0] === "channels") return wild(levels[1]) ? null : { kind: "shared", root: `channels/${levels[1]}` };
  return { kind: "shared", root: levels[0]! };
}

/** FNV-1a over UTF-16 code units: stable across isolates and deploys. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The name of shard `n` of a tenant (an object name; no channel or device id has a `/`). */
export function shardName(tenant: Tenant, n: number): string {
  return `topics/${tenant}/${n}`;
}

/** The shard number of a root: a device's (by id) or a shared root's. */
export function shardOf(root: { kind: "device"; deviceId: string } | { kind: "shared"; root: string }, shards: number): number {
  return hash32(root.kind === "device" ? `device:${root.deviceId}` : root.root) % shards;
}

/**
 * The shards a subscription must be registered in: one, or all of the tenant's (a shared
 * subscription's, `$share/<group>/<filter>`, by its filter).
 * @example shardsOfFilter("factory/+/alarms", 16) // [hash("factory") % 16]
 * @example shardsOfFilter("+/alarms", 16).length // 16
 */
export function shardsOfFilter(filter: string, shards: number): number[] {
  const root = filterRoot(matchingFilter(filter));
  if (root) return [shardOf(root, shards)];
  return Array.from({ length: shards }, (_, i) => i);
}
