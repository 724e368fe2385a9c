/**
 * Tape kinds and flags, mirrored from wasm/assembly/cbor/tape.ts (tape.test.ts checks
 * that the numbers agree). Each tape entry is 16 bytes = four Int32 words.
 * @module
 */

export const K_INT = 1;
export const K_NUM = 2;
export const K_FLOAT = 3;
export const K_BIGPOS = 4;
export const K_BIGNEG = 5;
export const K_BYTES = 6;
export const K_TEXT = 7;
export const K_BYTES_INDEF = 8;
export const K_TEXT_INDEF = 9;
export const K_ARRAY = 10;
export const K_MAP = 11;
export const K_TAG = 12;
export const K_SIMPLE = 13;
export const K_FALSE = 14;
export const K_TRUE = 15;
export const K_NULL = 16;
export const K_UNDEF = 17;

/** Text made only of ASCII bytes. */
export const F_ASCII = 0x100;
/** Map whose keys are all text strings. */
export const F_TEXTKEYS = 0x200;

/** String cache geometry, mirrored from wasm/assembly/cbor/cache.ts. */
export const CACHE_SLOTS = 2048;
export const CACHE_SLOT_SIZE = 40;
