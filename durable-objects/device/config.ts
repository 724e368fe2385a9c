/** Per-device limits, read from the Worker's vars (all optional, with defaults). */
import { DEFAULT_SHADOW_LIMITS, type ShadowLimits } from "../../shadow/shadow";
import { jsonMaxDepth } from "../../protocols/json-depth";

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

function num(env: Record<string, unknown>, key: string, fallback: number): number {
  const v = env[key];
  const n = typeof v === "string" || typeof v === "number" ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Whether a var is set to zero ("0" or 0; unset and empty are not): for vars where 0 means "off". */
function isZero(v: unknown): boolean {
  return (typeof v === "number" || (typeof v === "string" && v.trim() !== "")) && Number(v) === 0;
}

/** Cap on v5 clients' keep-alive in seconds (MQTT_MAX_KEEPALIVE_SECONDS; 0 or unset: none), sent as Server Keep Alive. */
export function maxKeepAlive(env: Record<string, unknown>): number {
  return Math.min(num(env, "MQTT_MAX_KEEPALIVE_SECONDS", 0), 65535);
}

/** How long one socket may deliver messages back to back before it counts as flooding (`SOCKET_FLOOD_MS`, see poll-window.ts). */
export function socketFloodMs(env: { SOCKET_FLOOD_MS?: unknown }): number {
  return num(env, "SOCKET_FLOOD_MS", 500);
}

/** Reads the config from env vars such as `SHADOW_MAX_BYTES`; unset or bad values use defaults. */
export function deviceConfig(env: Record<string, unknown>): DeviceConfig {
  return {
    shadow: {
      ...DEFAULT_SHADOW_LIMITS,
      maxDocumentBytes: num(env, "SHADOW_MAX_BYTES", DEFAULT_SHADOW_LIMITS.maxDocumentBytes),
      maxDepth: num(env, "SHADOW_MAX_DEPTH", DEFAULT_SHADOW_LIMITS.maxDepth),
    },
    historyVersions: num(env, "SHADOW_HISTORY_VERSIONS", 100),
    telemetryMaxRows: num(env, "TELEMETRY_MAX_ROWS", 100_000),
    telemetryMaxAgeMs: num(env, "TELEMETRY_MAX_AGE_DAYS", 30) * 86_400_000,
    maxMessageBytes: num(env, "WS_MAX_MESSAGE_BYTES", 256 * 1024),
    socketFloodMs: socketFloodMs(env),
    jsonMaxDepth: jsonMaxDepth(env.JSON_MAX_DEPTH),
    mqtt: {
      maxQueued: num(env, "MQTT_MAX_QUEUED", 10_000),
      maxInflight: num(env, "MQTT_MAX_INFLIGHT", 100),
      // A packet crosses to its object in one WebSocket message, and Workers take messages up to 1 MiB.
      maximumPacketSize: Math.min(num(env, "MQTT_MAX_PACKET_BYTES", 256 * 1024), 1024 * 1024),
      maxSubscriptions: num(env, "MQTT_MAX_SUBSCRIPTIONS", 100),
      maxKeepAlive: maxKeepAlive(env),
    },
    maxPendingAcks: num(env, "MQTT_MAX_PENDING_ACKS", 1000),
    roomWaitMs: num(env, "MQTT_ROOM_WAIT_SECONDS", 10) * 1000,
    commands: {
      maxQueued: num(env, "COMMANDS_MAX_QUEUED", 1000),
      defaultTtlMs: num(env, "COMMAND_TTL_SECONDS", 86_400) * 1000,
      maxTtlMs: 30 * 86_400_000,
    },
    rate: { perSecond: num(env, "DEVICE_RATE_PER_SECOND", 1000), burst: num(env, "DEVICE_RATE_BURST", 2000) },
    presenceCheckMs: (isZero(env.PRESENCE_CHECK_SECONDS) ? 0 : num(env, "PRESENCE_CHECK_SECONDS", 600)) * 1000,
  };
}
