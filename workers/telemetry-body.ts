/**
 * Telemetry bodies in every format Umbra takes — JSON, CBOR, SenML JSON and SenML CBOR
 * (RFC 8428) — turned into stored rows. Shared by HTTP and CoAP; every row's `ts` passes the
 * same epoch-milliseconds and retention check as on the device sockets.
 */
import { z } from "@hono/zod-openapi";
import type { TelemetryRow } from "../durable-objects/device/store";
import { isJsonObject, isJsonValue, ownField, setOwnField, type JsonObject, type JsonValue } from "../protocols/json-value";
import { numberVar } from "../durable-objects/vars";
import { checkTelemetryTs, type TimeField } from "../protocols/telemetry-time";
import { decodeUtf8 } from "../protocols/utf8";
import type { Env } from "../durable-objects/env";
import { ApiError, validationError } from "./errors";
import { JsonObjectSchema } from "./routes/schemas";
import { cborValue, checkDepth, jsonValue } from "./content";
import { CborError, SenMLError, decodeSenML, type SenMLRecord } from "../wasm/src/worker";

/** Formats telemetry may come in. */
export type TelemetryFormat = "json" | "cbor" | "senml+json" | "senml+cbor";

/** Content types (HTTP) and CoAP content-format numbers of each format. */
export const TELEMETRY_MEDIA: Record<string, TelemetryFormat> = {
  "application/json": "json",
  "application/cbor": "cbor",
  "application/senml+json": "senml+json",
  "application/senml+cbor": "senml+cbor",
};
export const TELEMETRY_COAP: Record<number, TelemetryFormat> = { 50: "json", 60: "cbor", 110: "senml+json", 112: "senml+cbor" };

const Sample = z.strictObject({
  data: JsonObjectSchema.openapi({ description: "at least one field" }),
  ts: z.number().int().optional().openapi({ description: "epoch milliseconds, 2000-01-01 … now + 1 day, within retention (default: now)" }),
});
/** Samples one request may store: a JSON or CBOR array, or a SenML pack's rows. */
const MAX_SAMPLES = 1000;
const Samples = z.array(Sample).min(1).max(MAX_SAMPLES);

/** `{data, ts?}` or an array of them; `ts` in epoch milliseconds (default: now). */
export const TelemetryIn = z
  .union([Sample, Samples])
  .openapi("TelemetryIn", { description: "`{data, ts?}` or an array of them; `ts` in epoch milliseconds (default: now)" });

/** What bounds a telemetry body: JSON/CBOR nesting and the oldest `ts` retention keeps. */
export interface TelemetryLimits {
  maxDepth: number;
  maxAgeMs: number;
}

/** The limits from the Worker's vars (`JSON_MAX_DEPTH`, `TELEMETRY_MAX_AGE_DAYS`). */
export function telemetryLimits(env: Env): TelemetryLimits {
  return { maxDepth: numberVar(env, "JSON_MAX_DEPTH"), maxAgeMs: numberVar(env, "TELEMETRY_MAX_AGE_DAYS") * 86_400_000 };
}

const SHAPES = "expected {data, ts?} (data: an object with at least one field, ts: epoch milliseconds) or an array of 1 to 1000 of them";

/** Validates against the shape the value has (object or array), so errors name real fields. */
function samplesOf(value: unknown): z.infer<typeof Sample>[] {
  if (!isJsonObject(value) && !Array.isArray(value)) throw new ApiError("invalid-request", `body: ${SHAPES}`, { errors: [{ path: "", message: SHAPES, code: "invalid_type" }] });
  const r = Array.isArray(value) ? Samples.safeParse(value) : Sample.safeParse(value);
  if (!r.success) {
    const err = validationError(r.error.issues);
    throw new ApiError("invalid-request", `${err.message} (${SHAPES})`, err.extra);
  }
  return Array.isArray(r.data) ? r.data : [r.data];
}

/**
 * Refuses rows whose `ts` is not plausible epoch milliseconds or is past retention. SenML rows
 * came from records' `t` in seconds, and the message says so; it names the time, not a row.
 */
function checkTimes(rows: TelemetryRow[], now: number, maxAgeMs: number, field: TimeField = "ts"): TelemetryRow[] {
  rows.forEach((row, i) => {
    const t = checkTelemetryTs(row.ts, now, maxAgeMs, field);
    if (!t.ok) {
      if (field === "senml") throw new ApiError("invalid-request", t.message, { reason: t.reason, errors: [{ path: "t", message: t.message, code: t.reason }] });
      const path = rows.length > 1 ? `${i}.ts` : "ts";
      // The message starts with "ts …"; a batch names the sample too ("3.ts …").
      throw new ApiError("invalid-request", rows.length > 1 ? `${i}.${t.message}` : t.message, { reason: t.reason, errors: [{ path, message: t.message, code: t.reason }] });
    }
  });
  return rows;
}

/** Decodes a telemetry body into rows; bad input is a 400 ApiError naming what is wrong. */
export function decodeTelemetry(format: TelemetryFormat, bytes: Uint8Array, now: number, limits: TelemetryLimits): TelemetryRow[] {
  if (format === "senml+json" || format === "senml+cbor") return checkTimes(senmlRows(bytes, format === "senml+cbor" ? "cbor" : "json", limits.maxDepth), now, limits.maxAgeMs, "senml");
  let value: unknown;
  if (format === "cbor") value = cborValue(bytes, limits.maxDepth);
  else {
    const text = decodeUtf8(bytes);
    if (text === null) throw new ApiError("malformed-json", "The body is not UTF-8");
    value = jsonValue(text, limits.maxDepth);
  }
  const rows = samplesOf(value).map((s, i, all) => {
    if (Object.keys(s.data).length === 0) throw new ApiError("invalid-request", `${all.length > 1 ? `${i}.` : ""}data must have at least one field`);
    // 1e400 parses as Infinity, which JSON cannot hold (it would be stored as null): refused, not changed.
    if (!isJsonValue(s.data)) throw new ApiError("invalid-request", `${all.length > 1 ? `${i}.` : ""}data must hold only finite numbers (one is beyond a double's range)`);
    return { ts: s.ts ?? now, data: s.data as JsonObject };
  });
  return checkTimes(rows, now, limits.maxAgeMs);
}

/**
 * Resolved SenML records → rows: one per distinct time, the record names as keys (a name
 * repeated at one time — the same sensor in two units, RFC 8428 §5.1.4 — starts another row
 * at that time, so no record is lost). `data` holds each record's value (its sum when it has
 * only one); the row's `units`, `sums` and `types` keep what JSON alone cannot say.
 */
function senmlRows(bytes: Uint8Array, format: "cbor" | "json", maxDepth: number): TelemetryRow[] {
  let records: SenMLRecord[];
  // The decoder bounds CBOR's nesting itself; JSON is scanned first, as every JSON body is.
  if (format === "json") checkDepth(bytes, maxDepth);
  try {
    records = decodeSenML(bytes, format, undefined, { maxDepth });
  } catch (err) {
    // SenMLError is a CborError: malformed CBOR and invalid SenML both carry a reason and offset.
    if (err instanceof CborError) {
      const slug = err instanceof SenMLError || format === "json" ? "invalid-request" : "malformed-cbor";
      // A SenMLError's message names the record and the field ("SenML senml_not_finite in record 2: v").
      const what = err instanceof SenMLError ? err.message.replace(/^SenML /, "") : err.code;
      throw new ApiError(slug, `Not a valid SenML pack: ${what}${err.offset >= 0 ? ` at byte ${err.offset}` : ""}`, { reason: err.code, offset: err.offset });
    }
    throw err;
  }
  if (records.length === 0) throw new ApiError("invalid-request", "The SenML pack has no records");
  const rows: TelemetryRow[] = [];
  const open = new Map<number, TelemetryRow>();
  for (const r of records) {
    const ts = Math.round(r.t * 1000);
    let row = open.get(ts);
    if (row === undefined || ownField(row.data, r.n) !== undefined) {
      row = { ts, data: {} };
      open.set(ts, row);
      rows.push(row);
    }
    // the decoder guarantees a value or a sum (RFC 8428 §4.2)
    const value: JsonValue = r.v ?? r.vs ?? r.vb ?? r.vd ?? r.s ?? null;
    setOwnField(row.data, r.n, value);
    if (rows.length > MAX_SAMPLES) throw new ApiError("invalid-request", `The SenML pack makes more than ${MAX_SAMPLES} samples (one per distinct time); send it in parts`, { reason: "too_many_samples", limit: MAX_SAMPLES });
    if (r.u !== undefined) setOwnField((row.units ??= {}), r.n, r.u);
    if (r.s !== undefined) setOwnField((row.sums ??= {}), r.n, r.s);
    if (r.vd !== undefined) setOwnField((row.types ??= {}), r.n, "data");
    else if (r.v === undefined && r.vs === undefined && r.vb === undefined) setOwnField((row.types ??= {}), r.n, "sum");
  }
  return rows;
}
