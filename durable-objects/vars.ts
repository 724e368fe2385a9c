/**
 * The hub's numeric and on/off vars (`wrangler.toml` `[vars]`, `.dev.vars`, `--var`): one table of
 * their defaults and bounds, one reader, and the list of values that are set but unusable.
 *
 * A value that is not a number, is out of its range, or has a fraction where a count is meant is
 * not used: the default is, and {@link varProblems} names it, so the hub says so (`/health`, the log,
 * `npm start`) instead of quietly running with other limits than the ones configured. A value
 * above a documented cap is used at the cap, and named too.
 */

import { DEFAULT_JSON_MAX_DEPTH } from "../protocols/json-depth";
import { DEFAULT_SHADOW_LIMITS } from "../shadow/shadow-limits";

/** How one numeric var reads. */
export interface NumberVar {
  default: number;
  /** `positive`: more than 0; `zero`: 0 or more (0 is meaningful, e.g. "never" or "none"). */
  lower: "positive" | "zero";
  /** A whole number (a count, bytes); otherwise decimals are fine. */
  integer?: boolean;
  /** Smaller values (above the lower bound) are not usable either: a bucket's burst must hold one token. */
  min?: number;
  /** Larger values are used as this. */
  max?: number;
}

const count = (d: number, max?: number): NumberVar => ({ default: d, lower: "positive", integer: true, ...(max === undefined ? {} : { max }) });
const amount = (d: number, max?: number): NumberVar => ({ default: d, lower: "positive", ...(max === undefined ? {} : { max }) });
const orZero = (d: number, max?: number): NumberVar => ({ default: d, lower: "zero", ...(max === undefined ? {} : { max }) });
/** A token bucket's burst: at least one token, or nothing would ever pass. */
const burst = (d: number): NumberVar => ({ ...amount(d), min: 1 });
/** Nesting a limit allows: walks over a value recurse once per level, so it is capped well under the stack. */
const DEPTH_CAP = 1000;
const HOUR = 3600;
const DAY = 86_400;

/** Every numeric var, with its default and bounds (the README's limits tables say what each does). */
export const NUMBER_VARS = {
  MAX_BODY_BYTES: count(1_048_576),
  JSON_MAX_DEPTH: count(DEFAULT_JSON_MAX_DEPTH, DEPTH_CAP),
  OAUTH_TOKEN_TTL: count(3600, 86_400),
  CREDENTIAL_ROTATE_GRACE_SECONDS: { ...orZero(60, 30 * DAY), integer: true },
  DEVICE_HTTP_RATE: amount(50),
  DEVICE_HTTP_BURST: burst(100),
  OAUTH_RATE: amount(1),
  OAUTH_BURST: burst(10),
  AUTH_FAILURE_RATE: amount(1),
  AUTH_FAILURE_BURST: burst(20),
  TOPIC_SHARDS: count(16, 1024),
  MQTT_CONNECT_TIMEOUT_SECONDS: amount(10, HOUR),
  COAP_PREAUTH_SECONDS: amount(10, HOUR),
  COAP_BLOCK_SIZE: count(1024, 1024),
  SOCKET_FLOOD_MS: amount(500, 60_000),
  SHADOW_MAX_BYTES: count(DEFAULT_SHADOW_LIMITS.maxDocumentBytes),
  SHADOW_MAX_DEPTH: count(DEFAULT_SHADOW_LIMITS.maxDepth, DEPTH_CAP),
  SHADOW_HISTORY_VERSIONS: count(100),
  TELEMETRY_MAX_ROWS: count(100_000),
  TELEMETRY_MAX_AGE_DAYS: amount(30, 3650),
  WS_MAX_MESSAGE_BYTES: count(256 * 1024),
  MQTT_MAX_QUEUED: count(10_000),
  MQTT_MAX_INFLIGHT: count(100),
  // A packet crosses to its object in one WebSocket message, and Workers take messages up to 1 MiB.
  MQTT_MAX_PACKET_BYTES: count(256 * 1024, 1024 * 1024),
  MQTT_MAX_SUBSCRIPTIONS: count(100),
  MQTT_MAX_KEEPALIVE_SECONDS: { ...orZero(0, 65_535), integer: true },
  MQTT_MAX_PENDING_ACKS: count(1000),
  MQTT_ROOM_WAIT_SECONDS: amount(10, HOUR),
  COMMANDS_MAX_QUEUED: count(1000),
  COMMAND_TTL_SECONDS: amount(DAY, 30 * DAY),
  DEVICE_RATE_PER_SECOND: amount(1000),
  DEVICE_RATE_BURST: burst(2000),
  PRESENCE_CHECK_SECONDS: orZero(600, DAY),
  // under the 24 h an event is retried for, or there would be no retry at all
  WEBHOOK_RETRY_FIRST_SECONDS: amount(5, HOUR),
  WEBHOOK_DISABLE_AFTER_SECONDS: orZero(DAY, 30 * DAY),
  WEBHOOK_DISABLE_MIN_FAILURES: count(20),
} satisfies Record<string, NumberVar>;

export type NumberVarName = keyof typeof NUMBER_VARS;

/**
 * On/off vars: on only with `"true"` (or `true`, a TOML boolean in `wrangler.toml`'s `[vars]`);
 * anything but those, `"false"`/`false` or empty is a problem (and off).
 */
export const FLAG_VARS = ["MQTT_ANONYMOUS", "WEBHOOK_ALLOW_PRIVATE", "MTLS_CLIENT_AUTH"] as const;

/**
 * Whether an on/off var is on.
 * @example flagVar({ MTLS_CLIENT_AUTH: "true" }, "MTLS_CLIENT_AUTH") // true
 */
export function flagVar(env: Vars, name: (typeof FLAG_VARS)[number]): boolean {
  const v = raw(env, name);
  return v === true || v === "true";
}

type Vars = object;

function raw(env: Vars, name: string): unknown {
  return (env as Record<string, unknown>)[name];
}

/** The value of `text` under `spec`, and why the default or a cap is used instead (if it is). */
export function readNumber(text: unknown, spec: NumberVar): { value: number; problem?: string } {
  if (text === undefined || text === null || (typeof text === "string" && text.trim() === "")) return { value: spec.default };
  const n = typeof text === "number" ? text : typeof text === "string" ? Number(text) : NaN;
  const need = spec.integer ? "a whole number" : "a number";
  const range = spec.min !== undefined ? `of ${spec.min} or more` : spec.lower === "positive" ? "above 0" : "0 or more";
  if (!Number.isFinite(n) || (spec.integer && !Number.isInteger(n)) || (spec.lower === "positive" ? n <= 0 : n < 0) || n < (spec.min ?? -Infinity)) {
    return { value: spec.default, problem: `is ${JSON.stringify(String(text))}, not ${need} ${range}: using the default, ${spec.default}` };
  }
  if (spec.max !== undefined && n > spec.max) return { value: spec.max, problem: `is ${n}, over its cap: using ${spec.max}` };
  return { value: n };
}

/**
 * A numeric var's value: what is set when usable, else its default (or its cap).
 * @example numberVar({ SHADOW_MAX_BYTES: "1000" }, "SHADOW_MAX_BYTES") // 1000
 * @example numberVar({ SHADOW_MAX_BYTES: "1e3.5" }, "SHADOW_MAX_BYTES") // 65536
 */
export function numberVar(env: Vars, name: NumberVarName): number {
  return readNumber(raw(env, name), NUMBER_VARS[name]).value;
}

/**
 * Every var that is set but not used as written, as `NAME is …: using …` lines (values of numeric
 * and on/off vars only: secrets are never read here).
 */
export function varProblems(env: Vars): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(NUMBER_VARS)) {
    const { problem } = readNumber(raw(env, name), spec);
    if (problem) problems.push(`${name} ${problem}`);
  }
  for (const name of FLAG_VARS) {
    const v = raw(env, name);
    if (v !== undefined && v !== "" && v !== "true" && v !== "false" && typeof v !== "boolean") problems.push(`${name} is ${JSON.stringify(String(v))}, not "true" or "false": off`);
  }
  return problems;
}
