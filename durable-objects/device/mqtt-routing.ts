/**
 * The DeviceObject's side of MQTT: what happens to a message a device publishes (shadow
 * request, telemetry, channel), and the services the MQTT host uses.
 */
import { DEFAULT_DEVICE_POLICY, type Message, type SessionLimits } from "../../protocols/mqtt";
import { channelOfFilter } from "./mqtt-subscriptions";
import type { JsonObject } from "../../protocols/json-value";
import { isJsonObject } from "../../protocols/json-value";
import type { Env } from "../env";
import type { ChannelObject } from "../channel/channel-object";
import { decode as decodeCbor } from "../../wasm/src/worker";
import { DEFAULT_JSON_MAX_DEPTH, parseJsonBounded } from "../../protocols/json-depth";
import { checkTelemetryTs } from "../../protocols/telemetry-time";
import { shadowError, tooDeepMessage } from "../../shadow/shadow-limits";
import { deviceConfig } from "./config";
import { routeTopic, shadowPublications } from "./mqtt-topics";
import type { MqttServices } from "./mqtt-services";
import type { ShadowOutcome } from "./shadow-service";
import type { DeviceStore, TelemetryRow } from "./store";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the routing needs from its object. */
export interface DeviceInternals {
  readonly deviceId: string;
  readonly env: Env;
  readonly store: DeviceStore;
  readonly ctx: DurableObjectState;
  readonly mqttLimits: Partial<SessionLimits>;
  shadow(name: string, input: unknown, mqttSelf: Message[] | null): ShadowOutcome;
  telemetry(rows: TelemetryRow[]): void;
  /** Stores telemetry through group commit; resolves once durable. */
  telemetryBatched(rows: TelemetryRow[]): Promise<void>;
  presence(connected: boolean, remote: string | null): void;
  closeJsonSockets(): void;
}

/** Turns a shadow outcome into the MQTT messages the device's own session should receive. */
export function shadowMessages(deviceId: string, o: ShadowOutcome, fromMqtt: boolean): Message[] {
  const pub = shadowPublications(deviceId, o.name, o.response, o.events, fromMqtt);
  const all = pub.reply ? [pub.reply, ...pub.events] : pub.events;
  return all.map((p) => ({ topic: p.topic, payload: encoder.encode(JSON.stringify(p.body)), qos: 1, retain: false }));
}

/** What bounds a telemetry payload: nesting, and the oldest `ts` retention keeps. */
export interface PayloadLimits {
  maxDepth: number;
  maxAgeMs: number;
}

/**
 * Telemetry payloads: a JSON or CBOR object (`{data, ts?}` or the fields themselves), or a
 * scalar on a sub-topic (`devices/<id>/telemetry/temp` ← `21.5` stores `{temp: 21.5}`).
 * Null (payload format invalid) also for nesting past the limit and a `ts` that is not epoch
 * milliseconds within retention.
 */
export function telemetryFromPayload(
  payload: Uint8Array,
  key: string | null,
  now: number,
  limits: PayloadLimits = { maxDepth: DEFAULT_JSON_MAX_DEPTH, maxAgeMs: Number.POSITIVE_INFINITY },
): TelemetryRow | null {
  let value: unknown;
  const json = parseJsonBounded(decoder.decode(payload), limits.maxDepth);
  if (json.ok) value = json.value;
  else {
    try {
      value = decodeCbor(payload, { maxDepth: limits.maxDepth });
    } catch {
      return null;
    }
  }
  if (isJsonObject(value)) {
    const data = value.data;
    const ts = value.ts;
    if (isJsonObject(data) && Object.keys(value).every((k) => k === "data" || k === "ts")) {
      if (!Object.keys(data).length || (ts !== undefined && (typeof ts !== "number" || !checkTelemetryTs(ts, now, limits.maxAgeMs).ok))) return null;
      return { ts: typeof ts === "number" ? ts : now, data };
    }
    return Object.keys(value).length ? { ts: now, data: key ? { [key]: value } : value } : null;
  }
  if (key === null || value === undefined) return null;
  return { ts: now, data: { [key]: value } as JsonObject };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The services of the MQTT host, backed by the object. */
export function mqttServices(o: DeviceInternals): MqttServices {
  let alarmAt: number | null = null;
  // One stub per channel: calls through one stub arrive in order, so a device's messages keep theirs.
  const stubs = new Map<string, DurableObjectStub<ChannelObject>>();
  const channel = (id: string) => {
    let stub = stubs.get(id);
    if (!stub) stubs.set(id, (stub = o.env.CHANNEL.get(o.env.CHANNEL.idFromName(id))));
    return stub;
  };
  const config = deviceConfig(o.env as unknown as Record<string, unknown>);
  const payloadLimits: PayloadLimits = { maxDepth: config.jsonMaxDepth, maxAgeMs: config.telemetryMaxAgeMs };
  return {
    get deviceId() {
      return o.deviceId;
    },
    store: o.store,
    limits: o.mqttLimits,
    sockets: () => o.ctx.getWebSockets("mqtt").filter((ws) => ws.readyState === WebSocket.OPEN),
    checkPassword: async (password, hashes) => {
      if (!password || hashes.length === 0) return false;
      const given = encoder.encode(await sha256Hex(password));
      let ok = false;
      // Compare with every live hash, in constant time each, without stopping early.
      for (const h of hashes) {
        const want = encoder.encode(h);
        if (want.byteLength === given.byteLength && crypto.subtle.timingSafeEqual(want, given)) ok = true;
      }
      return ok;
    },
    closeOtherProtocols: () => o.closeJsonSockets(),
    presence: (connected, remote) => o.presence(connected, remote),
    route: async (message, self) => {
      const r = routeTopic(o.deviceId, message.topic);
      switch (r.kind) {
        case "shadow": {
          let body: unknown = {};
          if (message.payload.byteLength > 0) {
            const parsed = parseJsonBounded(decoder.decode(message.payload), config.jsonMaxDepth);
            if (!parsed.ok && parsed.reason === "too_deep") {
              // Refused before parsing: answer on …/rejected as the shadow would for nesting.
              const body = shadowError(400, tooDeepMessage(config.shadow.maxDepth), Math.floor(Date.now() / 1000));
              self.push(...shadowMessages(o.deviceId, { name: r.shadow, response: { status: "rejected", op: r.op, body }, events: [] }, true));
              return { reason: 0 };
            }
            body = parsed.ok ? parsed.value : null;
          }
          const fields = isJsonObject(body) ? body : { state: "invalid" };
          o.shadow(r.shadow, { ...(body === null ? { state: "invalid" } : fields), kind: r.op }, self);
          return { reason: 0 };
        }
        case "telemetry": {
          const row = telemetryFromPayload(message.payload, r.key, Date.now(), payloadLimits);
          if (!row) return { reason: 0x99 }; // payload format invalid
          return { reason: 0, durable: o.telemetryBatched([row]) };
        }
        case "channel": {
          // Not awaited here: the acknowledgement waits for it (the channel may hold it back
          // under load) while this session keeps handling its other events, deliveries included.
          const stored = channel(r.channel).publish({ ...message, origin: o.deviceId });
          return { reason: 0, durable: stored.then(() => undefined) };
        }
        case "other":
          return { reason: 0x87 };
      }
    },
    context: (channels) => ({ policy: DEFAULT_DEVICE_POLICY, variables: { deviceId: o.deviceId, channel: channels ?? [] } }),
    subscribe: async (filter) => {
      const id = channelOfFilter(filter);
      if (id) await channel(id).subscribe(o.deviceId, filter);
    },
    unsubscribe: async (filter) => {
      const id = channelOfFilter(filter);
      if (id) await channel(id).unsubscribe(o.deviceId, filter);
    },
    retained: async (filter) => {
      const id = channelOfFilter(filter);
      return id ? ((await channel(id).retained(filter)) as Message[]) : [];
    },
    scheduleAlarm: async (at) => {
      // Deadlines mostly move later (keep-alive follows activity): an earlier alarm already set
      // is kept, and the alarm handler reschedules. One storage call per change, not per message.
      if (at === null) return;
      const now = Date.now();
      if (alarmAt !== null && alarmAt > now && alarmAt <= at) return;
      const current = await o.ctx.storage.getAlarm();
      if (current !== null && current > now && current <= at) {
        alarmAt = current;
        return;
      }
      await o.ctx.storage.setAlarm(at);
      alarmAt = at;
    },
  };
}
