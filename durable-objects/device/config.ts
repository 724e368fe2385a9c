/** Per-device limits, read from the Worker's vars (all optional, with defaults). */
import { DEFAULT_SHADOW_LIMITS, type ShadowLimits } from "../../shadow/shadow";
import { numberVar } from "../vars";

/** Everything configurable about one device's object. */
export interface DeviceConfig {
  shadow: ShadowLimits;
  /** Accepted shadow versions kept per shadow for `/shadow/history`. */
  historyVersions: number;
  /** Telemetry rows kept (oldest dropped first) and their maximum age. */
  telemetryMaxRows: number;
  telemetryMaxAgeMs: number;
  /** Largest WebSocket message a device may send. */
  maxMessageBytes: number;
  /** Milliseconds one socket may deliver messages back to back, with no pause for the runtime to read others (poll-window.ts). */
  socketFloodMs: number;
  /** Deepest nesting of a JSON message or payload (`JSON_MAX_DEPTH`), refused before parsing. */
  jsonMaxDepth: number;
  /** MQTT session limits: messages queued for an offline or busy client, and in flight to it. */
  mqtt: { maxQueued: number; maxInflight: number; maximumPacketSize: number; maxSubscriptions: number; maxKeepAlive: number };
  /** Unacknowledged QoS 1/2 messages a 3.1.1 client may have before it is disconnected (v5: Receive Maximum). */
  maxPendingAcks: number;
  /** The longest a delivery waits for room in a connected MQTT session's queue before it goes in anyway (see mqtt-intake.ts). */
  roomWaitMs: number;
  /** Messages a second a device (or app session) may send, and the burst it may save up. */
  rate: { perSecond: number; burst: number };
  /** The command queue: pending commands at most, default and longest time to live. */
  commands: { maxQueued: number; defaultTtlMs: number; maxTtlMs: number };
  /**
   * How often a connected device's object wakes to check its connection is still there
   * (`PRESENCE_CHECK_SECONDS`, default 600; 0: never), so a device whose connection went with a
   * restart of the hub, and which never came back, is seen offline (its rules and webhooks too)
   * without waiting for someone to ask about it. 0 ms: off.
   */
  presenceCheckMs: number;
}

/** Cap on v5 clients' keep-alive in seconds (MQTT_MAX_KEEPALIVE_SECONDS; 0 or unset: none), sent as Server Keep Alive. */
export function maxKeepAlive(env: object): number {
  return numberVar(env, "MQTT_MAX_KEEPALIVE_SECONDS");
}

/** How long one socket may deliver messages back to back before it counts as flooding (`SOCKET_FLOOD_MS`, see poll-window.ts). */
export function socketFloodMs(env: object): number {
  return numberVar(env, "SOCKET_FLOOD_MS");
}

/** Reads the config from env vars such as `SHADOW_MAX_BYTES` (durable-objects/vars.ts: unset or unusable values use defaults). */
export function deviceConfig(env: object): DeviceConfig {
  return {
    shadow: {
      ...DEFAULT_SHADOW_LIMITS,
      maxDocumentBytes: numberVar(env, "SHADOW_MAX_BYTES"),
      maxDepth: numberVar(env, "SHADOW_MAX_DEPTH"),
    },
    historyVersions: numberVar(env, "SHADOW_HISTORY_VERSIONS"),
    telemetryMaxRows: numberVar(env, "TELEMETRY_MAX_ROWS"),
    telemetryMaxAgeMs: numberVar(env, "TELEMETRY_MAX_AGE_DAYS") * 86_400_000,
    maxMessageBytes: numberVar(env, "WS_MAX_MESSAGE_BYTES"),
    socketFloodMs: socketFloodMs(env),
    jsonMaxDepth: numberVar(env, "JSON_MAX_DEPTH"),
    mqtt: {
      maxQueued: numberVar(env, "MQTT_MAX_QUEUED"),
      maxInflight: numberVar(env, "MQTT_MAX_INFLIGHT"),
      maximumPacketSize: numberVar(env, "MQTT_MAX_PACKET_BYTES"),
      maxSubscriptions: numberVar(env, "MQTT_MAX_SUBSCRIPTIONS"),
      maxKeepAlive: maxKeepAlive(env),
    },
    maxPendingAcks: numberVar(env, "MQTT_MAX_PENDING_ACKS"),
    roomWaitMs: numberVar(env, "MQTT_ROOM_WAIT_SECONDS") * 1000,
    commands: {
      maxQueued: numberVar(env, "COMMANDS_MAX_QUEUED"),
      defaultTtlMs: numberVar(env, "COMMAND_TTL_SECONDS") * 1000,
      maxTtlMs: 30 * 86_400_000,
    },
    rate: { perSecond: numberVar(env, "DEVICE_RATE_PER_SECOND"), burst: numberVar(env, "DEVICE_RATE_BURST") },
    presenceCheckMs: numberVar(env, "PRESENCE_CHECK_SECONDS") * 1000,
  };
}
