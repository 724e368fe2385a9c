// Tape layout shared with the TypeScript binding (wasm/src/tape.ts mirrors these numbers;
// wasm/src/tape.test.ts checks that the two lists agree).
//
// The tape is an array of 16-byte entries, one per CBOR data item, in pre-order.
// Entry words (i32 each): w0 = kind | flags, w1, w2, w3; bytes 8..15 double as f64/u64.
//   INT           w1 = value (fits i32)
//   NUM, FLOAT    f64 at bytes 8..15 (NUM: an integer beyond i32 but exact in f64)
//   BIGPOS/BIGNEG u64 argument at bytes 8..15 (value = arg, or -1 - arg)
//   BYTES, TEXT   w1 = offset in input, w2 = length, w3 = string-cache marker (TEXT only)
//   *_INDEF       w1 = chunk count, w2 = total length; the chunks follow as BYTES/TEXT entries
//   ARRAY, MAP    w1 = index after the subtree, w2 = element / pair count, w3 = header offset
//   TAG           w1 = header offset, u64 tag number at bytes 8..15 (content follows)
//   SIMPLE        w1 = simple value
export const K_INT: i32 = 1;
export const K_NUM: i32 = 2;
export const K_FLOAT: i32 = 3;
export const K_BIGPOS: i32 = 4;
export const K_BIGNEG: i32 = 5;
export const K_BYTES: i32 = 6;
export const K_TEXT: i32 = 7;
export const K_BYTES_INDEF: i32 = 8;
export const K_TEXT_INDEF: i32 = 9;
export const K_ARRAY: i32 = 10;
export const K_MAP: i32 = 11;
export const K_TAG: i32 = 12;
export const K_SIMPLE: i32 = 13;
export const K_FALSE: i32 = 14;
export const K_TRUE: i32 = 15;
export const K_NULL: i32 = 16;
export const K_UNDEF: i32 = 17;

/** Text made only of ASCII bytes (lets JS skip TextDecoder). */
export const F_ASCII: i32 = 0x100;
/** Map whose keys are all text strings (becomes a plain object in JS). */
export const F_TEXTKEYS: i32 = 0x200;

export const ENTRY_SHIFT: i32 = 4;

// @ts-ignore: decorator
@inline export function entryAt(tape: usize, i: i32): usize {
  return tape + (<usize>i << ENTRY_SHIFT);
}

// @ts-ignore: decorator
@inline export function kindAt(tape: usize, i: i32): i32 {
  return load<i32>(entryAt(tape, i)) & 0xff;
}

/** Index of the entry after the subtree that starts at `i`. */
export function nextIndex(tape: usize, i: i32): i32 {
  let e = entryAt(tape, i);
  let k = load<i32>(e) & 0xff;
  while (k == K_TAG) { // a tag is followed by its content
    e = entryAt(tape, ++i);
    k = load<i32>(e) & 0xff;
  }
  if (k == K_ARRAY || k == K_MAP) return load<i32>(e, 4);
  if (k == K_BYTES_INDEF || k == K_TEXT_INDEF) return i + 1 + load<i32>(e, 4);
  return i + 1;
}
