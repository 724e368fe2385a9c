/**
 * Telemetry bodies in every format Umbra takes — JSON, CBOR, SenML JSON and SenML CBOR
 * (RFC 8428) — turned into stored rows. Shared by HTTP and CoAP.
 */
import { z } from "@hono/zod-openapi";
import type { TelemetryRow } from "../durable-objects/device/store";
import { ownField, setOwnField, type JsonObject, type JsonValue } from "../protocols/json-value";
import { ApiError, validationError } from "./errors";
import { cborValue, jsonValue } from "./content";
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

const Sample = z.strictObject({ data: z.record(z.string(), z.unknown()), ts: z.number().int().optional() });

/** `{data, ts?}` or an array of them; `ts` in epoch milliseconds (default: now). */
export const TelemetryIn = z
  .union([Sample, z.array(Sample).min(1).max(1000)])
  .openapi("TelemetryIn", { description: "`{data, ts?}` or an array of them; `ts` in epoch milliseconds (default: now)" });

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes a telemetry body into rows; bad input is a 400 ApiError naming what is wrong. */
export function decodeTelemetry(format: TelemetryFormat, bytes: Uint8Array, now: number): TelemetryRow[] {
  if (format === "senml+json" || format === "senml+cbor") return senmlRows(bytes, format === "senml+cbor" ? "cbor" : "json");
  let value: unknown;
  if (format === "cbor") value = cborValue(bytes);
  else {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new ApiError("malformed-json", "The body is not UTF-8");
    }
    value = jsonValue(text);
  }
  const r = TelemetryIn.safeParse(value);
  if (!r.success) throw validationError(r.error.issues);
  const samples = Array.isArray(r.data) ? r.data : [r.data];
  return samples.map((s) => {
    if (Object.keys(s.data).length === 0) throw new ApiError("invalid-request", "data must have at least one field");
    return { ts: s.ts ?? now, data: s.data as JsonObject };
  });
}

/**
 * Resolved SenML records → rows: one per distinct time, the record names as keys (a name
 * repeated at one time — the same sensor in two units, RFC 8428 §5.1.4 — starts another row
 * at that time, so no record is lost). `data` holds each record's value (its sum when it has
 * only one); the row's `units`, `sums` and `types` keep what JSON alone cannot say.
 */
function senmlRows(bytes: Uint8Array, format: "cbor" | "json"): TelemetryRow[] {
  let records: SenMLRecord[];
  try {
    records = decodeSenML(bytes, format);
  } catch (err) {
    // SenMLError is a CborError: malformed CBOR and invalid SenML both carry a reason and offset.
    if (err instanceof CborError) {
      const slug = err instanceof SenMLError || format === "json" ? "invalid-request" : "malformed-cbor";
      throw new ApiError(slug, `Not a valid SenML pack: ${err.code}${err.offset >= 0 ? ` at byte ${err.offset}` : ""}`, { reason: err.code, offset: err.offset });
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
    if (r.u !== undefined) setOwnField((row.units ??= {}), r.n, r.u);
    if (r.s !== undefined) setOwnField((row.sums ??= {}), r.n, r.s);
    if (r.vd !== undefined) setOwnField((row.types ??= {}), r.n, "data");
    else if (r.v === undefined && r.vs === undefined && r.vb === undefined) setOwnField((row.types ??= {}), r.n, "sum");
  }
  return rows;
}
