// String cache: short ASCII text seen before (map keys, SenML names and units) is looked up
// here so JS can reuse the string it made last time instead of building a new one.
// WASM only reads the table; JS fills a slot after a successful decode (wasm/src/strings.ts),
// so a slot's bytes and its JS string always change together.
import { lowBytes } from "./bytes";

export const CACHE_SLOTS: i32 = 2048;
/** Bytes per slot: u32 length, 4 spare, then up to CACHE_MAX bytes of text. */
export const CACHE_SLOT_SIZE: i32 = 40;
export const CACHE_MAX: i32 = 32;

/** Returned by shortText for text that is not all ASCII. */
export const NOT_ASCII: i32 = -0x7fffffff;

export let cacheBase: usize = 0;

export function setCacheBase(base: usize): void {
  cacheBase = base;
}

/**
 * For text of 1..CACHE_MAX bytes: NOT_ASCII when a byte is >= 0x80; else slot + 1 when the
 * text is in the cache, -(slot + 1) when it belongs in that slot but is not there.
 * One pass serves both the ASCII check (which makes UTF-8 validation unnecessary) and the hash.
 */
export function shortText(p: usize, l: i32): i32 {
  let h: u64 = <u64>l * 0x9e3779b97f4a7c15;
  let i = 0;
  while (i + 8 <= l) {
    const w = load<u64>(p + <usize>i);
    if ((w & 0x8080808080808080) != 0) return NOT_ASCII;
    h = (h ^ w) * 0xff51afd7ed558ccd;
    i += 8;
  }
  if (i < l) {
    // Reading past the text stays inside reserved memory (the stack region follows the
    // input); the mask drops those bytes.
    const w = lowBytes(load<u64>(p + <usize>i), <usize>(l - i));
    if ((w & 0x8080808080808080) != 0) return NOT_ASCII;
    h = (h ^ w) * 0xff51afd7ed558ccd;
  }
  const slot = <i32>(h >> 53) & (CACHE_SLOTS - 1);
  const s = cacheBase + <usize>(slot * CACHE_SLOT_SIZE);
  if (load<i32>(s) != l) return -(slot + 1);
  // Word-wise compare; both sides may be read past `l` (slot data is CACHE_MAX bytes,
  // the input is followed by reserved memory) and the last word is masked.
  let j = 0;
  while (j + 8 <= l) {
    if (load<u64>(s + 8 + <usize>j) != load<u64>(p + <usize>j)) return -(slot + 1);
    j += 8;
  }
  if (j < l && lowBytes(load<u64>(s + 8 + <usize>j) ^ load<u64>(p + <usize>j), <usize>(l - j)) != 0) return -(slot + 1);
  return slot + 1;
}
