/**
 * What a webhook listens to, in the topic space's terms (pure): the MQTT topic filters a
 * webhook registers for its event types (with a device filter, the device id instead of `+`),
 * and the webhook event an MQTT message on a device-owned topic becomes. Events are
 * `{type, deviceId, ts, topic, data}`: `data` is the message's JSON payload; a payload that is
 * not JSON (a CBOR or binary telemetry message) goes as `{contentType, base64}`.
 */
import type { Message } from "../../protocols/mqtt";
import type { JsonValue } from "../../protocols/json-value";

/** The event types a webhook can ask for. */
export const WEBHOOK_EVENT_TYPES = ["telemetry", "shadow", "presence", "command.result", "rule"] as const;

/** One webhook event type. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Which devices a webhook hears: all, one, a group's members or the devices with a tag. */
export type WebhookFilter = { deviceId: string } | { group: string } | { tag: string } | null;

/** A webhook event, as POSTed (JSON). */
export interface WebhookEvent {
  type: WebhookEventType;
  deviceId: string;
  /** When the hub took the event (epoch ms). */
  ts: number;
  /** The MQTT topic it came from. */
  topic: string;
  data: JsonValue;
}

/**
 * The topic filters of a webhook: one or two per event type, the device id in place of `+`
 * when the filter names one device.
 * @example topicFilters(["presence"], { deviceId: "d1" }) // ["devices/d1/presence"]
 */
export function topicFilters(events: readonly WebhookEventType[], filter: WebhookFilter): string[] {
  const d = filter && "deviceId" in filter ? filter.deviceId : "+";
  const out: string[] = [];
  for (const type of new Set(events)) {
    switch (type) {
      case "telemetry":
        out.push(`devices/${d}/telemetry/#`);
        break;
      case "shadow":
        out.push(`$aws/things/${d}/shadow/update/documents`, `$aws/things/${d}/shadow/name/+/update/documents`);
        break;
      case "presence":
        out.push(`devices/${d}/presence`);
        break;
      case "command.result":
        out.push(`devices/${d}/commands/+/result`);
        break;
      case "rule":
        out.push(`devices/${d}/rules/+`);
        break;
      default: {
        const never: never = type;
        throw new Error(`unknown event type ${String(never)}`);
      }
    }
  }
  return out;
}

const TOPICS: [RegExp, WebhookEventType][] = [
  [/^devices\/([^/]+)\/telemetry(?:\/.*)?$/, "telemetry"],
  [/^\$aws\/things\/([^/]+)\/shadow\/(?:name\/[^/]+\/)?update\/documents$/, "shadow"],
  [/^devices\/([^/]+)\/presence$/, "presence"],
  [/^devices\/([^/]+)\/commands\/[^/]+\/result$/, "command.result"],
  [/^devices\/([^/]+)\/rules\/[^/]+$/, "rule"],
];

/**
 * The type and device of a topic, or null for a topic no webhook event comes from.
 * @example eventOfTopic("$aws/things/d1/shadow/name/wifi/update/documents") // { type: "shadow", deviceId: "d1" }
 */
export function eventOfTopic(topic: string): { type: WebhookEventType; deviceId: string } | null {
  for (const [re, type] of TOPICS) {
    const m = re.exec(topic);
    if (m?.[1]) return { type, deviceId: m[1] };
  }
  return null;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A payload as event data: its JSON, or its bytes in base64 with a content type. */
export function payloadData(payload: Uint8Array, contentType: string | undefined): JsonValue {
  try {
    return JSON.parse(decoder.decode(payload)) as JsonValue;
  } catch {
    return { contentType: contentType ?? "application/octet-stream", base64: toBase64(payload) };
  }
}

/**
 * The event an MQTT message becomes, or null when its topic carries none of `wanted`.
 * @example eventOf({ topic: "devices/d1/presence", payload, qos: 1, retain: false }, ["presence"], 1000)
 *   // { type: "presence", deviceId: "d1", ts: 1000, topic: "devices/d1/presence", data: {...} }
 */
export function eventOf(m: Message, wanted: readonly WebhookEventType[], now: number): WebhookEvent | null {
  const e = eventOfTopic(m.topic);
  if (!e || !wanted.includes(e.type)) return null;
  return { type: e.type, deviceId: e.deviceId, ts: now, topic: m.topic, data: payloadData(m.payload, m.properties?.contentType) };
}
