/**
 * The DeviceObject's side of MQTT: what happens to a message a device publishes (shadow
 * request, telemetry, its other topics, another device's topic, a channel or the open topic
 * space), and the services the MQTT host uses.
 */
import { filterContains, type Message, type SessionContext, type SessionLimits } from "../../protocols/mqtt";
import type { JsonObject, JsonValue } from "../../protocols/json-value";
import { isJsonObject, ownField } from "../../protocols/json-value";
import type { Env } from "../env";
import { deviceSession } from "../routing/sessions";
import type { ShardClient } from "../routing/shard-client";
import type { OwnTopics } from "./own-topics";
import type { SenderRate } from "../shared/token-bucket";
import { decode as decodeCbor } from "../../wasm/src/worker";
import { parseJsonBounded } from "../../protocols/json-depth";
import { decodeUtf8 } from "../../protocols/utf8";
import { readTelemetry, type PayloadHints, type PayloadLimits } from "../../protocols/telemetry-payload";
import { SHADOW_ERRORS, SHADOW_NAME_RULE, shadowError, tooDeepMessage, validateShadowName } from "../../shadow/shadow-limits";
import { deviceConfig } from "./config";
import { routeTopic, shadowPublications } from "./mqtt-topics";
import type { MqttServices, Routed } from "./mqtt-services";
import type { Once } from "./mqtt-qos2";
import { DeviceDeliveries } from "../routing/device-deliveries";
import type { AlarmScheduler } from "../shared/alarms";
import type { DeliveryMarks } from "../shared/delivery-marks";
import type { ShadowOutcome } from "./shadow-service";
import type { DeviceStore, TelemetryRow } from "./store";
import { isCommandOutcome, isMethodStatus } from "../../protocols/device-answers";

const encoder = new TextEncoder();

/** A telemetry message on its way to the object's batched write; `once`: a QoS 2 message, stored at most once. */
export interface TelemetryItem {
  row: TelemetryRow;
  message: Message;
  once?: Once;
}

/** What the routing needs from its object. */
export interface DeviceInternals {
  readonly deviceId: string;
  readonly env: Env;
  readonly store: DeviceStore;
  readonly ctx: DurableObjectState;
  readonly mqttLimits: Partial<SessionLimits>;
  readonly rate: SenderRate;
  /** The device's MQTT policy and variables (from the registry; kept current by pushes). */
  access(): SessionContext;
  readonly maxPendingAcks: number;
  readonly roomWaitMs: number;
  shadow(name: string, input: unknown, mqttSelf: Message[] | null): ShadowOutcome;
  /**
   * Stores telemetry (and fans its message out) through group commit; resolves once durable.
   * `inBurst`: added while the session handles an event, so {@link telemetryBurstDone} follows.
   */
  telemetryBatched(items: TelemetryItem[], inBurst: boolean): Promise<void>;
  /** The session's event is handled (MqttServices.burstDone): batched telemetry may be written now. */
  telemetryBurstDone(): void;
  /** Delivers messages on the device's own topics to its own session, when it subscribed. */
  selfDeliver(messages: Message[]): void;
  readonly own: OwnTopics;
  readonly marks: DeliveryMarks;
  readonly shards: ShardClient;
  /** The device reported a command's outcome (`devices/<id>/commands/<cmdId>/result`). */
  commandResult(id: string, status: "completed" | "rejected" | "failed", result: JsonValue | null): boolean;
  /** The device answered a direct method (`devices/<id>/methods/<reqId>/response`). */
  methodResponse(id: string, status: number, payload: JsonValue): boolean;
  /** The session subscribed or (re)connected: queued commands may go out. */
  ready(): void;
  /** The session's state was discarded: the commands it held are queued again. */
  sessionLost(): void;
  /** `closedNow`: a close the device made (see {@link MqttServices.presence}). */
  presence(connected: boolean, remote: string | null, closedNow: boolean): void;
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
 * The sample an MQTT telemetry payload stores, or null (payload format invalid): see
 * protocols/telemetry-payload.ts for how a payload reads.
 */
export function telemetryFromPayload(payload: Uint8Array, key: string | null, now: number, limits: PayloadLimits, hints: PayloadHints = {}): TelemetryRow | null {
  return readTelemetry(payload, key, now, limits, hints, decodeCbor);
}

/** A JSON object payload (a result or an answer), or null. */
function jsonBody(payload: Uint8Array): JsonObject | null {
  try {
    const v: unknown = JSON.parse(decodeUtf8(payload) ?? "");
    return isJsonObject(v) ? v : null;
  } catch {
    return null;
  }
}

/** Whether a filter only ever matches the device's own topics (served inside its object). */
export function ownFilter(deviceId: string, filter: string): boolean {
  return filterContains(`devices/${deviceId}/#`, filter) || filterContains(`$aws/things/${deviceId}/#`, filter);
}

/** Runs a write in this object that stores the message: always, except a QoS 2 one it stored already (see Once.storeOnce). */
function storeHere(once: Once | undefined, write: () => void): void {
  if (once) once.storeOnce(write);
  else write();
}

/**
 * A command result or method answer, stored here (`take`: false when nobody waits for it). One
 * nobody waits for gets v5 0x83 with `why`, as JSON's unknown_command/unknown_request and CoAP's
 * 4.04; 3.1.1 can only PUBACK.
 */
function answerRouted(once: Once | undefined, take: () => boolean, why: string): Routed {
  let taken = true;
  storeHere(once, () => (taken = take()));
  return taken ? { reason: 0 } : { reason: 0x83, reasonString: why };
}

/** The services of the MQTT host, backed by the object. */
export function mqttServices(o: DeviceInternals): MqttServices {
  const devices = new DeviceDeliveries(o.env);
  const config = deviceConfig(o.env as unknown as Record<string, unknown>);
  const payloadLimits: PayloadLimits = { maxDepth: config.jsonMaxDepth, maxAgeMs: config.telemetryMaxAgeMs };
  const shared = (filters: readonly string[]) => filters.filter((f) => !ownFilter(o.deviceId, f));
  // A retained message on the device's own topic: acknowledged once its copy is in the shard too.
  const retained = (m: Message, stored: Promise<void>): Promise<void> => (m.retain ? Promise.all([stored, o.shards.retain(m)]).then(() => undefined) : stored);
  return {
    get deviceId() {
      return o.deviceId;
    },
    get address() {
      return deviceSession(o.deviceId);
    },
    store: o.store,
    sql: o.ctx.storage.sql,
    marks: o.marks,
    durable: () => o.ctx.storage.sync(),
    limits: o.mqttLimits,
    rate: o.rate,
    maxPendingAcks: o.maxPendingAcks,
    roomWaitMs: o.roomWaitMs,
    sockets: () => o.ctx.getWebSockets("mqtt").filter((ws) => ws.readyState === WebSocket.OPEN),
    closeOtherProtocols: () => o.closeJsonSockets(),
    presence: (connected, remote, closedNow) => o.presence(connected, remote, closedNow),
    // Not async: a message that needs no wait (telemetry once the subscriber list is loaded, the
    // common case) is routed without a promise per message.
    // A QoS 2 message (`once`) may come again after a restart cut its first routing off: a write
    // in this object claims it (skipped when claimed before), another object gets its mark.
    route: (message, self, once) => {
      const r = routeTopic(o.deviceId, message.topic);
      switch (r.kind) {
        case "shadow": {
          // Empty is {} (AWS: get and delete may carry nothing); anything else must be a JSON object,
          // or a get or delete would run without the version it may carry.
          // A refusal echoes the request's clientToken when it has one, as AWS's /rejected does.
          const reject = (why: string, clientToken?: string): Routed => {
            const rejected = shadowError(400, why, Math.floor(Date.now() / 1000), clientToken);
            self.push(...shadowMessages(o.deviceId, { name: r.shadow, response: { status: "rejected", op: r.op, body: rejected }, events: [] }, true));
            return { reason: 0 };
          };
          let body: JsonObject = {};
          if (message.payload.byteLength > 0) {
            const parsed = parseJsonBounded(decodeUtf8(message.payload) ?? "", config.jsonMaxDepth);
            if (!parsed.ok || !isJsonObject(parsed.value)) return reject(!parsed.ok && parsed.reason === "too_deep" ? tooDeepMessage(config.shadow.maxDepth) : SHADOW_ERRORS.invalidJson);
            body = parsed.value;
          }
          const named = validateShadowName(r.shadow);
          if (!named.ok) {
            const token = ownField(body, "clientToken");
            return reject(`${named.message}: a shadow name matches ${SHADOW_NAME_RULE}`, typeof token === "string" ? token.slice(0, 64) : undefined);
          }
          storeHere(once, () => o.shadow(r.shadow, { ...body, kind: r.op }, self));
          return { reason: 0 };
        }
        case "telemetry": {
          // An empty retained publish clears the retained message [MQTT-3.3.1-6]; it is no sample.
          if (message.retain && message.payload.byteLength === 0) return { reason: 0, durable: o.shards.retain(message) };
          const row = telemetryFromPayload(message.payload, r.key, Date.now(), payloadLimits, message.properties);
          if (!row) return { reason: 0x99 }; // payload format invalid
          const item: TelemetryItem = once ? { row, message, once } : { row, message };
          const batched = (inBurst: boolean): Routed => ({ reason: 0, durable: retained(message, o.telemetryBatched([item], inBurst)) });
          return o.own.loaded ? batched(true) : o.own.ready().then(() => batched(false));
        }
        case "commandResult": {
          const body = jsonBody(message.payload);
          const status = body?.status;
          if (!isCommandOutcome(status)) return { reason: 0x99 };
          return answerRouted(once, () => o.commandResult(r.commandId, status, body?.result ?? null), `no pending command ${JSON.stringify(r.commandId)}`);
        }
        case "methodResponse": {
          const body = jsonBody(message.payload);
          const status = body?.status;
          if (!isMethodStatus(status)) return { reason: 0x99 };
          return answerRouted(once, () => o.methodResponse(r.requestId, status, body?.payload ?? null), `no method call ${JSON.stringify(r.requestId)} is waiting (late or unknown)`);
        }
        case "own":
          return o.own.ready().then(() => {
            storeHere(once, () => {
              o.own.publish([message]);
              o.selfDeliver([message]);
            });
            return message.retain ? { reason: 0, durable: o.shards.retain(message) } : { reason: 0 };
          });
        case "device":
          return { reason: 0, durable: devices.send(r.deviceId, message, once?.mark) };
        case "shared":
          if (message.retain || message.qos > 0) return { reason: 0, durable: o.shards.publish(message, once?.mark) };
          void o.shards.publish(message).catch(() => undefined);
          return { reason: 0 };
        case "reserved":
          return { reason: 0x87 };
      }
    },
    context: () => o.access(),
    subscribe: async (filters) => {
      const retained = await o.shards.subscribe(deviceSession(o.deviceId), shared(filters));
      for (const f of filters) if (!retained.has(f)) retained.set(f, []);
      return retained;
    },
    unsubscribe: async (filters) => {
      const remote = shared(filters);
      if (remote.length) await o.shards.unsubscribe(deviceSession(o.deviceId), remote);
    },
    retained: async (filter) => (ownFilter(o.deviceId, filter) ? [] : o.shards.retained(filter)),
    scheduleAlarm: (at) => o.alarms.set("mqtt", at),
    ready: () => o.ready(),
    sessionLost: () => o.sessionLost(),
    burstDone: () => o.telemetryBurstDone(),
  };
}
