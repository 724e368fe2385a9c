/**
 * Where an MQTT publish from a device goes, decided from its topic alone (pure):
 * AWS shadow requests, device telemetry, the device's other topics, another device's topics,
 * or a shared topic (a channel or the open topic space).
 */
import { topicClass } from "../topic/shards";
import type { JsonValue } from "../../protocols/json-value";
import type { Message } from "../../protocols/mqtt";
import { decodeUtf8 } from "../../protocols/utf8";
import { COMMAND_NAME } from "../../protocols/mqtt/hub-topics";

/** The route of a published topic. */
export type TopicRoute =
  | { kind: "shadow"; shadow: string; op: "get" | "update" | "delete" }
  | { kind: "telemetry"; key: string | null }
  /** The device reports a command's outcome. */
  | { kind: "commandResult"; commandId: string }
  /** The device answers a direct method. */
  | { kind: "methodResponse"; requestId: string }
  /** Another of the device's own topics (published to its subscribers from its object). */
  | { kind: "own" }
  /** A topic of another device: its object publishes it. */
  | { kind: "device"; deviceId: string }
  /** A channel or the open topic space: its shard publishes it. */
  | { kind: "shared" }
  | { kind: "reserved" };

// Any name reaches the shadow route, which answers one that is not a shadow name on …/rejected.
const SHADOW = /^\$aws\/things\/([^/]+)\/shadow\/(?:name\/([^/]+)\/)?(get|update|delete)$/;
const TELEMETRY = /^devices\/([^/]+)\/telemetry(?:\/(.+))?$/;
const RESULT = /^devices\/([^/]+)\/commands\/([^/]+)\/result$/;
const RESPONSE = /^devices\/([^/]+)\/methods\/([^/]+)\/response$/;

/**
 * Classifies a topic published by device `deviceId` (the policy has already allowed it).
 * @example routeTopic("d1", "$aws/things/d1/shadow/name/wifi/update") // { kind: "shadow", shadow: "wifi", op: "update" }
 */
export function routeTopic(deviceId: string, topic: string): TopicRoute {
  const s = SHADOW.exec(topic);
  if (s && s[1] === deviceId) return { kind: "shadow", shadow: s[2] ?? "", op: s[3] as "get" | "update" | "delete" };
  const t = TELEMETRY.exec(topic);
  if (t && t[1] === deviceId) return { kind: "telemetry", key: t[2] ?? null };
  const r = RESULT.exec(topic);
  if (r?.[2] && r[1] === deviceId) return { kind: "commandResult", commandId: r[2] };
  const m = RESPONSE.exec(topic);
  if (m?.[2] && m[1] === deviceId) return { kind: "methodResponse", requestId: m[2] };
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

/** Whether `topic` is one of device `deviceId`'s own topics. */
export function isOwnTopic(deviceId: string, topic: string): boolean {
  const c = topicClass(topic);
  return c.kind === "device" && c.deviceId === deviceId;
}

const COMMAND_IN = /^devices\/([^/]+)\/commands\/([^/]+)$/;

/**
 * A command an app published with MQTT on `devices/<id>/commands/<name>`, for the command
 * queue: its payload as JSON (or, when it is not JSON, as text; binary as base64 text), its
 * TTL from the message expiry. Null for any other topic.
 * @example inboundCommand("d1", { topic: "devices/d1/commands/reboot", payload: utf8('{"delay":5}'), ... }) // { name: "reboot", payload: { delay: 5 } }
 */
export function inboundCommand(deviceId: string, m: { topic: string; payload: Uint8Array; expiresAt?: number }, now = Date.now()): { name: string; payload: JsonValue; ttlSeconds?: number } | null {
  const c = COMMAND_IN.exec(m.topic);
  if (!c?.[2] || c[1] !== deviceId || !COMMAND_NAME.test(c[2])) return null;
  let payload: JsonValue = null;
  if (m.payload.byteLength > 0) {
    const text = decodeUtf8(m.payload);
    if (text === null) payload = btoa(String.fromCharCode(...m.payload));
    else {
      try {
        payload = JSON.parse(text) as JsonValue;
      } catch {
        payload = text;
      }
    }
  }
  const ttl = m.expiresAt === undefined ? undefined : Math.max(1, Math.ceil((m.expiresAt - now) / 1000));
  return ttl === undefined ? { name: c[2], payload } : { name: c[2], payload, ttlSeconds: ttl };
}

/**
 * The MQTT PUBLISH of a direct method call: v5 `devices/<id>/methods/<name>` with the response
 * topic and the request id as correlation data; 3.1.1 `devices/<id>/methods/<name>/<reqId>`.
 */
export function methodMessage(deviceId: string, name: string, requestId: string, payload: JsonValue, version: number): Message {
  const base = `devices/${deviceId}/methods/${name}`;
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  if (version !== 5) return { topic: `${base}/${requestId}`, payload: bytes, qos: 0, retain: false };
  return {
    topic: base,
    payload: bytes,
    qos: 0,
    retain: false,
    properties: { contentType: "application/json", responseTopic: `devices/${deviceId}/methods/${requestId}/response`, correlationData: new TextEncoder().encode(requestId) },
  };
}
