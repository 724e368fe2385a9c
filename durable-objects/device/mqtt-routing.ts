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
import { routeTopic, shadowPublications } from "./mqtt-topics";
import type { MqttServices } from "./mqtt-services";
import type { AlarmScheduler } from "../shared/alarms";
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
  readonly alarms: AlarmScheduler;
}

/** Turns a shadow outcome into the MQTT messages the device's own session should receive. */
export function shadowMessages(deviceId: string, o: ShadowOutcome, fromMqtt: boolean): Message[] {
  const pub = shadowPublications(deviceId, o.name, o.response, o.events, fromMqtt);
  const all = pub.reply ? [pub.reply, ...pub.events] : pub.events;
  return all.map((p) => ({ topic: p.topic, payload: encoder.encode(JSON.stringify(p.body)), qos: 1, retain: false }));
}

/**
 * Telemetry payloads: a JSON or CBOR object (`{data, ts?}` or the fields themselves), or a
 * scalar on a sub-topic (`devices/<id>/telemetry/temp` ← `21.5` stores `{temp: 21.5}`).
 */
export function telemetryFromPayload(payload: Uint8Array, key: string | null, now: number): TelemetryRow | null {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch {
    try {
      value = decodeCbor(payload);
    } catch {
      return null;
    }
  }
  if (isJsonObject(value)) {
    const data = value.data;
    const ts = value.ts;
    if (isJsonObject(data) && Object.keys(value).every((k) => k === "data" || k === "ts")) {
      return Object.keys(data).length && (ts === undefined || Number.isSafeInteger(ts)) ? { ts: typeof ts === "number" ? ts : now, data } : null;
    }
    return Object.keys(value).length ? { ts: now, data: key ? { [key]: value } : value } : null;
  }
  if (key === null || value === undefined) return null;
  return { ts: now, data: { [key]: value } as JsonObject };
}

/** The services of the MQTT host, backed by the object. */
export function mqttServices(o: DeviceInternals): MqttServices {
  // One stub per channel: calls through one stub arrive in order, so a device's messages keep theirs.
  const stubs = new Map<string, DurableObjectStub<ChannelObject>>();
  const channel = (id: string) => {
    let stub = stubs.get(id);
    if (!stub) stubs.set(id, (stub = o.env.CHANNEL.get(o.env.CHANNEL.idFromName(id))));
    return stub;
  };
  return {
    get deviceId() {
      return o.deviceId;
    },
    store: o.store,
    limits: o.mqttLimits,
    sockets: () => o.ctx.getWebSockets("mqtt").filter((ws) => ws.readyState === WebSocket.OPEN),
    closeOtherProtocols: () => o.closeJsonSockets(),
    presence: (connected, remote) => o.presence(connected, remote),
    route: async (message, self) => {
      const r = routeTopic(o.deviceId, message.topic);
      switch (r.kind) {
        case "shadow": {
          let body: unknown = {};
          if (message.payload.byteLength > 0) {
            try {
              body = JSON.parse(decoder.decode(message.payload));
            } catch {
              body = null;
            }
          }
          const fields = isJsonObject(body) ? body : { state: "invalid" };
          o.shadow(r.shadow, { ...(body === null ? { state: "invalid" } : fields), kind: r.op }, self);
          return { reason: 0 };
        }
        case "telemetry": {
          const row = telemetryFromPayload(message.payload, r.key, Date.now());
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
    scheduleAlarm: (at) => o.alarms.set("mqtt", at),
  };
}
