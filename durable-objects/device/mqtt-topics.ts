/**
 * Where an MQTT publish from a device goes, decided from its topic alone (pure):
 * AWS shadow requests, device telemetry, the device's other topics, another device's topics,
 * or a shared topic (a channel or the open topic space).
 */
import { topicClass } from "../topic/shards";

/** The route of a published topic. */
export type TopicRoute =
  | { kind: "shadow"; shadow: string; op: "get" | "update" | "delete" }
  | { kind: "telemetry"; key: string | null }
  /** Another of the device's own topics (published to its subscribers from its object). */
  | { kind: "own" }
  /** A topic of another device: its object publishes it. */
  | { kind: "device"; deviceId: string }
  /** A channel or the open topic space: its shard publishes it. */
  | { kind: "shared" }
  | { kind: "reserved" };

const SHADOW = /^\$aws\/things\/([^/]+)\/shadow\/(?:name\/([A-Za-z0-9_-]{1,64})\/)?(get|update|delete)$/;
const TELEMETRY = /^devices\/([^/]+)\/telemetry(?:\/(.+))?$/;

/**
 * Classifies a topic published by device `deviceId` (the policy has already allowed it).
 * @example routeTopic("d1", "$aws/things/d1/shadow/name/wifi/update") // { kind: "shadow", shadow: "wifi", op: "update" }
 */
export function routeTopic(deviceId: string, topic: string): TopicRoute {
  const s = SHADOW.exec(topic);
  if (s && s[1] === deviceId) return { kind: "shadow", shadow: s[2] ?? "", op: s[3] as "get" | "update" | "delete" };
  const t = TELEMETRY.exec(topic);
  if (t && t[1] === deviceId) return { kind: "telemetry", key: t[2] ?? null };
  const c = topicClass(topic);
  if (c.kind === "device") return c.deviceId === deviceId ? { kind: "own" } : { kind: "device", deviceId: c.deviceId };
  return c.kind === "shared" ? { kind: "shared" } : { kind: "reserved" };
}

/** The AWS topic prefix of a shadow: `$aws/things/<id>/shadow[/name/<n>]`. */
export function shadowTopic(deviceId: string, shadow: string): string {
  return `$aws/things/${deviceId}/shadow${shadow === "" ? "" : `/name/${shadow}`}`;
}

/** What an accepted or rejected shadow request publishes over MQTT (AWS topics, JSON payloads). */
export interface ShadowPublication {
  /** `/accepted` or `/rejected` for the request itself; only sent for MQTT requests and for changes. */
  reply: { topic: string; body: unknown } | null;
  /** `update/delta` (non-empty deltas only, as AWS) and `update/documents`. */
  events: { topic: string; body: unknown }[];
}

/**
 * AWS topics of a shadow outcome. `fromMqtt` requests also get their get/rejected replies;
 * accepted updates and deletes are published whatever their source, as AWS does.
 */
export function shadowPublications(
  deviceId: string,
  shadow: string,
  response: { status: "accepted" | "rejected"; op: "get" | "update" | "delete"; body: unknown },
  events: readonly ({ type: "delta"; message: { state: object } } | { type: "documents"; message: object })[],
  fromMqtt: boolean,
): ShadowPublication {
  const prefix = shadowTopic(deviceId, shadow);
  const change = response.status === "accepted" && response.op !== "get";
  const reply = fromMqtt || change ? { topic: `${prefix}/${response.op}/${response.status}`, body: response.body } : null;
  const out: { topic: string; body: unknown }[] = [];
  for (const e of events) {
    if (e.type === "documents") out.push({ topic: `${prefix}/update/documents`, body: e.message });
    else if (Object.keys(e.message.state).length > 0) {
      out.push({ topic: `${prefix}/update/delta`, body: e.message });
    }
  }
  return { reply, events: out };
}
