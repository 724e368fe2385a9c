// String content comparison and hashing across chunks: an indefinite-length string
// equals the concatenation of its chunks (RFC 8949 §3.2.3), so neither may depend on
// where the chunk boundaries fall.
import { K_BYTES_INDEF, K_TEXT_INDEF, entryAt } from "./tape";
import { tapeBase, inBase } from "./state";
import { mix } from "./hash";
import { bytesEqual, bytesFingerprint } from "./bytes";

// @ts-ignore: decorator
@inline function isIndefinite(e: usize): bool {
  const k = load<i32>(e) & 0xff;
  return k == K_BYTES_INDEF || k == K_TEXT_INDEF;
}

/** Content equality of the strings at tape indices `a` and `b` (same major type assumed). */
export function strEq(a: i32, b: i32): bool {
  const ea = entryAt(tapeBase, a);
  const eb = entryAt(tapeBase, b);
  const len = load<i32>(ea, 8);
  if (len != load<i32>(eb, 8)) return false;
  if (!isIndefinite(ea) && !isIndefinite(eb)) {
    return bytesEqual(inBase + <usize>load<i32>(ea, 4), inBase + <usize>load<i32>(eb, 4), <usize>len);
  }
  // Walk both chunk lists; a definite string is its own single chunk.
  let ca = isIndefinite(ea) ? a + 1 : a;
  let cb = isIndefinite(eb) ? b + 1 : b;
  let pa: usize = 0, ra: i32 = 0, pb: usize = 0, rb: i32 = 0;
  let left = len;
  while (left > 0) {
    while (ra == 0) {
      const e = entryAt(tapeBase, ca++);
      pa = inBase + <usize>load<i32>(e, 4);
      ra = load<i32>(e, 8);
    }
    while (rb == 0) {
      const e = entryAt(tapeBase, cb++);
      pb = inBase + <usize>load<i32>(e, 4);
      rb = load<i32>(e, 8);
    }
    const n = ra < rb ? ra : rb;
    if (!bytesEqual(pa, pb, <usize>n)) return false;
    pa += <usize>n; pb += <usize>n;
    ra -= n; rb -= n; left -= n;
  }
  return true;
}

// Streaming hash state: bytes are packed into 8-byte words in stream order.
let sh: u64 = 0;
let acc: u64 = 0;
let accN: u32 = 0;

function feed(p: usize, len: i32): void {
  let i = 0;
  while (accN != 0 && i < len) {
    acc |= <u64>load<u8>(p + <usize>i) << (<u64>accN << 3);
    accN++; i++;
    if (accN == 8) { sh = mix(sh, acc); acc = 0; accN = 0; }
  }
  while (i + 8 <= len) {
    sh = mix(sh, load<u64>(p + <usize>i));
    i += 8;
  }
  while (i < len) {
    acc |= <u64>load<u8>(p + <usize>i) << (<u64>accN << 3);
    accN++; i++;
  }
}

/** Hash of the string content at tape index `i`, chained from `h`. */
export function strHash(h: u64, i: i32): u64 {
  const e = entryAt(tapeBase, i);
  sh = mix(h, <u64>load<i32>(e, 8));
  acc = 0;
  accN = 0;
  if (isIndefinite(e)) {
    const chunks = load<i32>(e, 4);
    for (let c = 1; c <= chunks; c++) {
      const ce = entryAt(tapeBase, i + c);
      feed(inBase + <usize>load<i32>(ce, 4), load<i32>(ce, 8));
    }
  } else {
    feed(inBase + <usize>load<i32>(e, 4), load<i32>(e, 8));
  }
  return accN != 0 ? mix(sh, acc) : sh;
}

/**
 * bytesFingerprint of the string content at tape index `i`; an indefinite string is read
 * across its chunks, so chunking does not change the result.
 */
export function strFingerprint(i: i32): u64 {
  const e = entryAt(tapeBase, i);
  const len = load<i32>(e, 8);
  if (!isIndefinite(e)) return bytesFingerprint(inBase + <usize>load<i32>(e, 4), <usize>len);
  let head: u64 = 0;
  let tail: u64 = 0;
  let g = 0;
  const chunks = load<i32>(e, 4);
  for (let c = 1; c <= chunks; c++) {
    const ce = entryAt(tapeBase, i + c);
    const p = inBase + <usize>load<i32>(ce, 4);
    const n = load<i32>(ce, 8);
    for (let j = 0; j < n; j++, g++) {
      const b = <u64>load<u8>(p + <usize>j);
      if (g < 8) head |= b << (<u64>g << 3);
      if (g >= len - 8) tail |= b << (<u64>(g - (len - 8)) << 3);
    }
  }
  if (len < 8) return head ^ (<u64>len << 59);
  return head ^ (tail * 0x9e3779b97f4a7c15) ^ (<u64>len << 59);
}
