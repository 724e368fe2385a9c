// Tape writers for integers and indefinite-length strings, kept apart from the main loop.
import { K_INT, K_NUM, K_BIGPOS, K_BIGNEG, K_BYTES, K_TEXT, K_BYTES_INDEF, K_TEXT_INDEF, F_ASCII, entryAt } from "./tape";
import { E_TRUNCATED, E_RESERVED_AI, E_BAD_CHUNK, E_INVALID_UTF8, E_TOO_MANY_ITEMS } from "./errors";
import { inBase, tapeBase, maxItems, fail } from "./state";
import { validUtf8, lastAscii } from "./utf8";
import { CACHE_MAX, shortText } from "./cache";

/** Largest integer argument that JS holds exactly (2^53 - 1). */
const MAX_SAFE: u64 = 0x1fffffffffffff;

/** Major types 0 and 1 (§3.1): the value is arg, or -1 - arg. */
// @ts-ignore: decorator
@inline export function writeInt(e: usize, negative: bool, arg: u64): void {
  if (arg <= 0x7fffffff) {
    store<i32>(e, K_INT);
    store<i32>(e, negative ? -1 - <i32>arg : <i32>arg, 4);
  } else if (arg < MAX_SAFE || (arg == MAX_SAFE && !negative)) {
    store<i32>(e, K_NUM);
    store<f64>(e, negative ? -1.0 - <f64>arg : <f64>arg, 8);
  } else {
    store<i32>(e, negative ? K_BIGNEG : K_BIGPOS);
    store<u64>(e, arg, 8);
  }
}

/**
 * An indefinite-length string (§3.2.3) whose header entry is tape index `h`, with `p`
 * just past its initial byte: definite chunks of major type `mt`, closed by a break.
 * Writes the header (w1 = chunks, w2 = total length) and one entry per chunk.
 * Returns the position after the break, or 0 on error.
 */
export function indefiniteString(p: usize, end: usize, mt: u32, h: i32): usize {
  let n = h + 1;
  let sum = 0;
  let flags = F_ASCII;
  while (true) {
    const coff = <i32>(p - inBase);
    if (p >= end) { fail(E_TRUNCATED, coff); return 0; }
    const cb = <u32>load<u8>(p++);
    if (cb == 0xff) break;
    const cai = cb & 31;
    if ((cb >> 5) != mt || cai == 31) { fail(E_BAD_CHUNK, coff); return 0; }
    let clen: u64 = <u64>cai;
    if (cai >= 24) {
      if (cai > 27) { fail(E_RESERVED_AI, coff); return 0; }
      const size = <usize>1 << <usize>(cai - 24);
      if (p + size > end) { fail(E_TRUNCATED, coff); return 0; }
      if (cai == 24) clen = <u64>load<u8>(p);
      else if (cai == 25) clen = <u64>bswap<u16>(load<u16>(p));
      else if (cai == 26) clen = <u64>bswap<u32>(load<u32>(p));
      else clen = bswap<u64>(load<u64>(p));
      p += size;
    }
    if (clen > <u64>(end - p)) { fail(E_TRUNCATED, coff); return 0; }
    if (n >= maxItems) { fail(E_TOO_MANY_ITEMS, coff); return 0; } // chunks are items too
    const l = <i32>clen;
    const ce = entryAt(tapeBase, n);
    store<i32>(ce, <i32>(p - inBase), 4);
    store<i32>(ce, l, 8);
    if (mt == 3) {
      // Each chunk must be valid UTF-8 on its own: no code point spans chunks.
      const bad = validUtf8(p, l);
      if (bad >= 0) { fail(E_INVALID_UTF8, <i32>(p - inBase) + bad); return 0; }
      if (!lastAscii) flags = 0;
      store<i32>(ce, K_TEXT | (lastAscii ? F_ASCII : 0));
      store<i32>(ce, lastAscii && l > 0 && l <= CACHE_MAX ? shortText(p, l) : 0, 12);
    } else {
      store<i32>(ce, K_BYTES);
    }
    p += <usize>l;
    n++;
    sum += l;
  }
  const e = entryAt(tapeBase, h);
  store<i32>(e, (mt == 2 ? K_BYTES_INDEF : K_TEXT_INDEF) | (mt == 3 ? flags : 0));
  store<i32>(e, n - h - 1, 4);
  store<i32>(e, sum, 8);
  store<i32>(e, 0, 12);
  return p;
}
