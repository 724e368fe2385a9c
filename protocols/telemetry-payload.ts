/**
 * What an MQTT telemetry payload stores (pure; the CBOR decoder is passed in).
 *
 * On `devices/<id>/telemetry` the payload is a JSON or CBOR object: `{data, ts?}` or the fields
 * themselves. On a sub-topic (`devices/<id>/telemetry/temp`) the whole payload is that key's
 * value: JSON when it parses as JSON (`21.5`, `"on"`, `{"a":1}`), else UTF-8 text as a string
 * (`ON`; a C string's terminating NUL dropped; not text with other control characters, which
 * are CBOR's small integers, nor text that opens as JSON does, `{`, `[` or `"`: that is broken
 * JSON), else CBOR. JSON and text must be valid UTF-8. An MQTT 5 client can say which instead: Content Type `application/json` or
 * `application/cbor` (`+json`/`+cbor` suffixes too), or text (`text/plain`, or Payload Format
 * Indicator 1): JSON when it parses, else a string.
 * @example readTelemetry(enc("ON"), "state", NOW, LIMITS, {}, cbor) // { ts: NOW, data: { state: "ON" } }
 */
import { parseJsonBounded } from "./json-depth";
import { isJsonObject, isJsonValue, type JsonObject } from "./json-value";
import { checkTelemetryTs } from "./telemetry-time";
import { decodeUtf8 } from "./utf8";

/** What bounds a telemetry payload: nesting, and the oldest `ts` retention keeps. */
export interface PayloadLimits {
  maxDepth: number;
  maxAgeMs: number;
}

/** What an MQTT 5 publisher said of its payload. */
export interface PayloadHints {
  contentType?: string;
  payloadFormatIndicator?: boolean;
}

/** One stored sample. */
export interface TelemetrySample {
  ts: number;
  data: JsonObject;
}

type CborDecoder = (bytes: Uint8Array, limits: { maxDepth: number }) => unknown;

/** Control characters other than tab, line feed and carriage return (CBOR's small integers are these). */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * The sample a payload stores, or null when it stores none (payload format invalid): not
 * readable as its content type says, nesting past the limit, a `ts` that is not epoch
 * milliseconds within retention, an empty object, a non-object on the whole-object topic, or a
 * value JSON cannot hold (CBOR's undefined, or a number past a double's range).
 */
export function readTelemetry(payload: Uint8Array, key: string | null, now: number, limits: PayloadLimits, hints: PayloadHints, decodeCbor: CborDecoder): TelemetrySample | null {
  const value = payloadValue(payload, key !== null, limits.maxDepth, hints, decodeCbor);
  if (value === undefined || !isJsonValue(value)) return null;
  if (key !== null) return { ts: now, data: { [key]: value } };
  if (!isJsonObject(value) || Object.keys(value).length === 0) return null;
  const { data, ts } = value;
  if (!isJsonObject(data) || !Object.keys(value).every((k) => k === "data" || k === "ts")) return { ts: now, data: value };
  if (!Object.keys(data).length || (ts !== undefined && (typeof ts !== "number" || !checkTelemetryTs(ts, now, limits.maxAgeMs).ok))) return null;
  return { ts: typeof ts === "number" ? ts : now, data };
}

/** The payload's value as its hints or its bytes say; undefined when it has none. */
function payloadValue(payload: Uint8Array, scalarAllowed: boolean, maxDepth: number, hints: PayloadHints, decodeCbor: CborDecoder): unknown {
  const type = hints.contentType?.split(";")[0]!.trim().toLowerCase();
  // C firmware often sends a string with its terminating NUL: that one is not part of the text.
  const asText = decodeUtf8(payload)?.replace(/\0$/, "") ?? null;
  const json = () => {
    const r = asText === null ? null : parseJsonBounded(asText, maxDepth);
    return r?.ok ? r.value : undefined;
  };
  const cbor = () => {
    try {
      return decodeCbor(payload, { maxDepth });
    } catch {
      return undefined;
    }
  };
  if (type === "application/json" || type?.endsWith("+json")) return json();
  if (type === "application/cbor" || type?.endsWith("+cbor")) return cbor();
  if (type === "text/plain" || hints.payloadFormatIndicator) return scalarAllowed ? (json() ?? asText ?? undefined) : json();
  if (asText === null) return cbor();
  const r = parseJsonBounded(asText, maxDepth);
  if (r.ok) return r.value;
  const s = scalarAllowed ? asText : null;
  if (s === null || s.trim() === "" || CONTROL.test(s)) return cbor();
  // Text that opens as JSON does (an object, an array, a string) is JSON gone wrong, not a word.
  return r.reason === "too_deep" || /^\s*[[{"]/.test(s) ? undefined : s;
}
