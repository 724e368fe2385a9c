// Error codes; wasm/src/errors.ts maps each number to its stable string (same order).
export const E_NONE: i32 = 0;
/** Input ended inside a data item. */
export const E_TRUNCATED: i32 = 1;
/** Additional information 28..30 (RFC 8949 §3). */
export const E_RESERVED_AI: i32 = 2;
/** Indefinite length on a major type that has none (RFC 8949 §3.2). */
export const E_BAD_INDEFINITE: i32 = 3;
/** Break outside an indefinite-length array or map (RFC 8949 §3.2.1). */
export const E_UNEXPECTED_BREAK: i32 = 4;
/** Indefinite-string chunk of another major type or itself indefinite (RFC 8949 §3.2.3). */
export const E_BAD_CHUNK: i32 = 5;
/** Two-byte simple value below 32 (RFC 8949 §3.3). */
export const E_BAD_SIMPLE: i32 = 6;
/** Text string that is not valid UTF-8 (RFC 8949 §5.3.1). */
export const E_INVALID_UTF8: i32 = 7;
/** Map with two equivalent keys (RFC 8949 §5.6). */
export const E_DUPLICATE_KEY: i32 = 8;
/** Nesting deeper than the limit. */
export const E_TOO_DEEP: i32 = 9;
/** More data items than the limit. */
export const E_TOO_MANY_ITEMS: i32 = 10;
/** Bytes left over after the top-level data item. */
export const E_TRAILING_BYTES: i32 = 11;
/** Indefinite map closed after a key without its value. */
export const E_MISSING_VALUE: i32 = 12;
/** Memory could not grow enough for the tape. */
export const E_OUT_OF_MEMORY: i32 = 13;
