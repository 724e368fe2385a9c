/**
 * What a telemetry row may say about its values beyond JSON: the SenML (RFC 8428) unit and
 * sum of a key, and whether its value is not a plain value (a `vd` data value, or a sum
 * standing alone). Stored beside a row as one small JSON text, and per key beside the latest
 * value; rows without any (JSON, CBOR, MQTT telemetry) store nothing and read back as before.
 */
import { ownField } from "../../protocols/json-value";

/** What a value in a telemetry row is, when it is not a plain JSON value. */
export type TelemetryValueType = "data" | "sum";

/** The optional per-key maps of a telemetry row; each is absent when empty. */
export interface TelemetryExtras {
  /** SenML unit (`u`, or the base unit `bu`) of a key. */
  units?: Record<string, string>;
  /** SenML sum (`s`) of a key whose record had one, beside its value or alone. */
  sums?: Record<string, number>;
  /**
   * `"data"`: the value is a SenML data value (`vd`: bytes, as base64url text), not a string;
   * `"sum"`: the record had only a sum, which the row's `data` holds as its value.
   */
  types?: Record<string, TelemetryValueType>;
}

/** The extras of one key, as `GET …/telemetry/latest` shows them. */
export interface KeyExtras {
  unit?: string;
  sum?: number;
  type?: TelemetryValueType;
}

/** The extras of a row as stored, or null when it has none. */
export function rowExtrasText(row: TelemetryExtras): string | null {
  const m: TelemetryExtras = {};
  if (row.units) m.units = row.units;
  if (row.sums) m.sums = row.sums;
  if (row.types) m.types = row.types;
  return Object.keys(m).length === 0 ? null : JSON.stringify(m);
}

/** The extras of one key of a row (unit, sum, type), or null when it has none. */
export function keyExtras(row: TelemetryExtras, key: string): KeyExtras | null {
  const m: KeyExtras = {};
  const unit = row.units && ownField(row.units, key);
  const sum = row.sums && ownField(row.sums, key);
  const type = row.types && ownField(row.types, key);
  if (unit !== undefined) m.unit = unit;
  if (sum !== undefined) m.sum = sum;
  if (type !== undefined) m.type = type;
  return Object.keys(m).length === 0 ? null : m;
}

/** The extras of one key of a row as stored beside its latest value, or null when it has none. */
export function keyExtrasText(row: TelemetryExtras, key: string): string | null {
  const m = keyExtras(row, key);
  return m === null ? null : JSON.stringify(m);
}

/** Reads stored extras back (null, from rows that had none, gives none). */
export function parseExtras<T extends TelemetryExtras | KeyExtras>(text: string | null): T | Record<string, never> {
  return text === null ? {} : (JSON.parse(text) as T);
}
