/**
 * Errors thrown by the CBOR and SenML decoders. Every failure of `decode` and
 * `decodeSenML` is a {@link CborError}; its `code` is a stable string for callers to
 * switch on, its `offset` the byte offset where the problem was found.
 * @module
 */

/** Codes in the order of wasm/assembly/cbor/errors.ts (index = WASM error number). */
export const WASM_ERROR_CODES = [
  "internal_error",
  "truncated",
  "reserved_additional_info",
  "invalid_indefinite",
  "unexpected_break",
  "invalid_chunk",
  "invalid_simple",
  "invalid_utf8",
  "duplicate_key",
  "too_deep",
  "too_many_items",
  "trailing_bytes",
  "missing_map_value",
  "out_of_memory",
] as const;

/** Every code a {@link CborError} can carry. */
export type CborErrorCode =
  | (typeof WASM_ERROR_CODES)[number]
  | "too_large"
  | "not_bytes"
  | "invalid_bignum"
  | "unrepresentable_key";

/**
 * A CBOR input that is not well-formed or not valid, or exceeds a limit.
 * @example
 * try { decode(bytes) } catch (e) { if (e instanceof CborError) log(e.code, e.offset) }
 */
export class CborError extends Error {
  /** Stable reason, e.g. `"truncated"`, `"invalid_utf8"`, `"duplicate_key"`. */
  readonly code: string;
  /** Byte offset in the input where the problem was found (-1 when not applicable). */
  readonly offset: number;

  constructor(code: string, offset: number, message?: string) {
    super(message ?? `CBOR ${code} at byte ${offset}`);
    this.name = "CborError";
    this.code = code;
    this.offset = offset;
  }
}

/** Every code a {@link SenMLError} can carry. */
export type SenMLErrorCode =
  | "senml_invalid_json"
  | "senml_not_array"
  | "senml_not_record"
  | "senml_invalid_label"
  | "senml_invalid_field"
  | "senml_mandatory_field"
  | "senml_unsupported_version"
  | "senml_invalid_name"
  | "senml_multiple_values"
  | "senml_no_value"
  | "senml_not_finite";

/**
 * A SenML pack that decodes as CBOR/JSON but breaks RFC 8428 rules.
 * `record` is the index of the offending record (-1 for the pack itself).
 */
export class SenMLError extends CborError {
  /** Index of the offending record in the pack, or -1. */
  readonly record: number;

  constructor(code: SenMLErrorCode, record: number, offset = -1, detail?: string) {
    super(code, offset, `SenML ${code}${record >= 0 ? ` in record ${record}` : ""}${detail ? `: ${detail}` : ""}`);
    this.name = "SenMLError";
    this.record = record;
  }
}
