/**
 * Parser for device → hub frames of the JSON protocol. Total: every input yields either a typed
 * message or a `{code, message}` error, never an exception, so one bad frame costs the sender
 * an `error` reply and nothing else.
 */
import { isJsonObject, isJsonValue, ownField, utf8ByteLength } from "../json-value";
import { DEFAULT_JSON_MAX_DEPTH, parseJsonBounded } from "../json-depth";
import { decodeUtf8 } from "../utf8";
import { SHADOW_NAME_RULE, SHADOW_NAME } from "../../shadow/shadow-limits";
import type { JsonObject, JsonValue } from "../json-value";
import type { DeviceMessage, DeviceMessageType, JsonProtocolError, JsonProtocolErrorCode, ParseResult, ShadowOpName } from "./messages";
import { COMMAND_OUTCOME_RULE, METHOD_STATUS_RULE, isCommandOutcome, isMethodStatus } from "../device-answers";

/** Parser limits. */
export type ParseOptions = {
  /** Largest frame, in UTF-8 bytes (default 64 KiB). */
  maxBytes?: number;
  /** Deepest nesting of the whole message, the message object being level 1 (default 32). */
  maxDepth?: number;
};

/** Default largest frame: 64 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
/** Default deepest nesting. */
export const DEFAULT_MAX_MESSAGE_DEPTH = DEFAULT_JSON_MAX_DEPTH;

/** A frame: text as sent, or a binary frame holding UTF-8 JSON. */
export type Frame = string | ArrayBuffer | ArrayBufferView;

const fail = (code: JsonProtocolErrorCode, message: string): { ok: false; error: JsonProtocolError } => ({
  ok: false,
  error: { code, message },
});

/** Field validators return the problem, or `undefined` when the value is fine. */
type Check = (value: JsonValue) => string | undefined;

const isString: Check = (v) => (typeof v === "string" ? undefined : "must be a string");
const isCount: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : "must be a non-negative integer");
const isShadowName: Check = (v) =>
  typeof v === "string" && (v === "" || SHADOW_NAME.test(v)) ? undefined : `must match ${SHADOW_NAME_RULE}`;
const isStateNode: Check = (v) => (v === null || isJsonObject(v) ? undefined : "must be an object or null");
// 1e400 parses as Infinity, which JSON cannot hold (it would be stored as null): refused, not changed.
const isData: Check = (v) => (!isJsonObject(v) || Object.keys(v).length === 0 ? "must be a non-empty object" : isJsonValue(v) ? undefined : "must hold only finite numbers (one is beyond a double's range)");
const isId: Check = (v) => (typeof v === "string" && v.length > 0 && v.length <= 128 ? undefined : "must be a string of 1 to 128 characters");
const isResultStatus: Check = (v) => (isCommandOutcome(v) ? undefined : COMMAND_OUTCOME_RULE);
const isStatus: Check = (v) => (isMethodStatus(v) ? undefined : METHOD_STATUS_RULE);
const isAny: Check = () => undefined;
const isObservable: Check = (v) => (v === "commands" || v === "methods" ? undefined : 'must be "commands" or "methods"');
const isPingId: Check = (v) => (typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) ? undefined : "must be a string or number");

/** Per type: its fields, each with its validator, and which of them are required. */
const SCHEMAS: Record<DeviceMessageType, { fields: Record<string, Check>; required: readonly string[] }> = {
  "shadow.get": { fields: { shadow: isShadowName, clientToken: isString }, required: [] },
  "shadow.update": {
    fields: { shadow: isShadowName, state: isStateNode, version: isCount, clientToken: isString },
    required: ["state"],
  },
  "shadow.delete": { fields: { shadow: isShadowName, version: isCount, clientToken: isString }, required: [] },
  telemetry: { fields: { data: isData, ts: isCount, id: isPingId }, required: ["data"] },
  ping: { fields: { id: isPingId }, required: [] },
  "command.result": { fields: { id: isId, status: isResultStatus, result: isAny }, required: ["id", "status"] },
  "method.response": { fields: { id: isId, status: isStatus, payload: isAny }, required: ["id", "status"] },
  observe: { fields: { resource: isObservable }, required: ["resource"] },
  unobserve: { fields: { resource: isObservable }, required: ["resource"] },
};

const isKnownType = (type: string): type is DeviceMessageType => Object.prototype.hasOwnProperty.call(SCHEMAS, type);

function decode(frame: Frame, maxBytes: number): { ok: true; text: string } | { ok: false; error: JsonProtocolError } {
  if (typeof frame === "string") {
    // Each UTF-16 unit is 1–3 UTF-8 bytes: only the uncertain middle needs counting.
    const big = frame.length > maxBytes || (frame.length * 3 > maxBytes && utf8ByteLength(frame) > maxBytes);
    return big ? fail("too_large", `message exceeds ${maxBytes} bytes`) : { ok: true, text: frame };
  }
  const bytes = frame instanceof ArrayBuffer ? new Uint8Array(frame) : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  if (bytes.byteLength > maxBytes) return fail("too_large", `message exceeds ${maxBytes} bytes`);
  const text = decodeUtf8(bytes);
  return text === null ? fail("bad_json", "message is not valid UTF-8") : { ok: true, text };
}

/**
 * Parses one device frame into a typed message. Shadow messages get `shadow: ""` (the classic
 * shadow) when they name none. Unknown fields are refused, so typos do not pass silently.
 * @example
 * parseDeviceMessage('{"type":"shadow.update","state":{"reported":{"t":21}}}')
 * // { ok: true, message: { type: "shadow.update", shadow: "", state: { reported: { t: 21 } } } }
 * @example
 * parseDeviceMessage('{"type":"reboot"}')
 * // { ok: false, error: { code: "unknown_type", message: "unknown message type \"reboot\"" } }
 */
export function parseDeviceMessage(frame: Frame, options: ParseOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_MESSAGE_DEPTH;
  const decoded = decode(frame, maxBytes);
  if (!decoded.ok) return decoded;
  // Depth is scanned before parsing: nothing deeper than the limit is ever built.
  const parsed = parseJsonBounded(decoded.text, maxDepth);
  if (!parsed.ok) return parsed.reason === "too_deep" ? fail("bad_message", `message nests deeper than ${maxDepth} levels`) : fail("bad_json", "message is not valid JSON");
  const value = parsed.value as JsonValue;
  if (!isJsonObject(value)) return fail("bad_message", "message must be a JSON object");
  const type = ownField(value, "type");
  if (typeof type !== "string") return fail("bad_message", 'message needs a string "type"');
  if (!isKnownType(type)) return withId(fail("unknown_type", `unknown message type ${JSON.stringify(type.slice(0, 64))}`), value);
  const result = withId(validate(type, value), value);
  return type.startsWith("shadow.") ? withShadow(result, type as ShadowType, value) : result;
}

type ShadowType = "shadow.get" | "shadow.update" | "shadow.delete";

/** A refused shadow request names its shadow, operation and clientToken, so its answer can be `shadow.rejected`. */
function withShadow(result: ParseResult, type: ShadowType, value: JsonObject): ParseResult {
  if (result.ok) return result;
  const name = ownField(value, "shadow");
  const token = ownField(value, "clientToken");
  const op = type.slice("shadow.".length) as ShadowOpName;
  const shadow = { name: typeof name === "string" ? name.slice(0, 128) : "", op, ...(typeof token === "string" ? { clientToken: token.slice(0, 128) } : {}) };
  return { ok: false, error: { ...result.error, shadow } };
}

/** A refusal names the message's `id` when it had one a reply can carry (a string or finite number). */
function withId(result: ParseResult, value: JsonObject): ParseResult {
  if (result.ok) return result;
  const id = ownField(value, "id");
  const usable = (typeof id === "string" && id.length <= 128) || (typeof id === "number" && Number.isFinite(id));
  return usable ? { ok: false, error: { ...result.error, id } } : result;
}

function validate(type: DeviceMessageType, value: JsonObject): ParseResult {
  const schema = SCHEMAS[type];
  const out: JsonObject = { type };
  for (const key of Object.keys(value)) {
    if (key === "type") continue;
    const check = ownField(schema.fields, key);
    if (check === undefined) return fail("bad_message", `${type}: unknown field ${JSON.stringify(key.slice(0, 64))}`);
    const problem = check(value[key]);
    if (problem !== undefined) return fail("bad_message", `${type}: "${key}" ${problem}`);
    out[key] = value[key];
  }
  for (const key of schema.required) {
    if (ownField(value, key) === undefined) return fail("bad_message", `${type}: "${key}" is required`);
  }
  if (type.startsWith("shadow.") && out.shadow === undefined) out.shadow = "";
  // Every field was checked against its schema above, which is what the message types state.
  return { ok: true, message: out as unknown as DeviceMessage };
}
