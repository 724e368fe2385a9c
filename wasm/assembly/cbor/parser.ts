// The one-pass CBOR walker: checks well-formedness (RFC 8949 §3, Appendix C) and validity
// (UTF-8 §5.3.1, unique map keys §5.6) and writes the tape (see tape.ts).
import {
  K_BYTES, K_TEXT, K_TEXT_INDEF, K_ARRAY, K_MAP, K_TAG, K_SIMPLE,
  K_FALSE, K_TRUE, K_NULL, K_UNDEF, K_FLOAT, F_ASCII, F_TEXTKEYS, entryAt,
} from "./tape";
import {
  E_TRUNCATED, E_RESERVED_AI, E_BAD_INDEFINITE, E_UNEXPECTED_BREAK, E_BAD_SIMPLE,
  E_INVALID_UTF8, E_DUPLICATE_KEY, E_TOO_DEEP, E_TOO_MANY_ITEMS, E_TRAILING_BYTES, E_MISSING_VALUE,
} from "./errors";
import { inBase, tapeBase, stackBase, maxDepth, maxItems, fail, clearError } from "./state";
import { validUtf8, lastAscii } from "./utf8";
import { pushKey, findDuplicate, fingerprint } from "./keys";
import { bytesFingerprint } from "./bytes";
import { halfToF64, singleToF64 } from "./floats";
import { CACHE_MAX, NOT_ASCII, shortText } from "./cache";
import { writeInt, indefiniteString } from "./items";

// Saved frames of open arrays, maps and tags (32 bytes each): tape index, expected item
// count (-1 while indefinite), items seen, key-scratch start, header offset, key bloom.
// The innermost frame lives in locals; only its ancestors are in memory.
// @ts-ignore: decorator
@inline function frameAt(d: i32): usize {
  return stackBase + (<usize>d << 5);
}

/**
 * Decodes `len` input bytes into the tape. Returns the number of tape entries, or -1
 * with the error in the control block (state.ts).
 */
export function parse(len: i32): i32 {
  clearError();
  const end = inBase + <usize>len;
  let p = inBase;
  let n: i32 = 0;
  let depth: i32 = 0; // open containers; the innermost one is c*
  let cTi: i32 = 0, cTotal: i32 = 0, cSeen: i32 = 0, cKs: i32 = 0, cHdr: i32 = 0;
  let cIsMap = false;
  let cBloom: u64 = 0; // one bit per key fingerprint seen in the innermost map
  let ksTop: i32 = 0;
  while (true) {
    const hdr = <i32>(p - inBase);
    if (p >= end) return fail(E_TRUNCATED, hdr);
    const ib = <u32>load<u8>(p++);
    if (n >= maxItems && ib != 0xff) return fail(E_TOO_MANY_ITEMS, hdr); // a break is no item
    const mt = ib >> 5;
    const ai = ib & 31;
    let arg: u64 = <u64>ai;
    // RFC 8949 §3: additional information 24..27 carries a 1/2/4/8-byte argument.
    if (ai >= 24) {
      if (ai < 28) {
        const size = <usize>1 << <usize>(ai - 24);
        if (p + size > end) return fail(E_TRUNCATED, hdr);
        if (ai == 24) arg = <u64>load<u8>(p);
        else if (ai == 25) arg = <u64>bswap<u16>(load<u16>(p));
        else if (ai == 26) arg = <u64>bswap<u32>(load<u32>(p));
        else arg = bswap<u64>(load<u64>(p));
        p += size;
      } else if (ai != 31) {
        return fail(E_RESERVED_AI, hdr); // §3: 28..30 are reserved
      }
    }
    const e = entryAt(tapeBase, n);
    let start = n;
    let startOff = hdr;
    if (mt <= 1) {
      if (ai == 31) return fail(E_BAD_INDEFINITE, hdr); // §3.2.4
      writeInt(e, mt == 1, arg);
      n++;
    } else if (mt <= 3) {
      if (ai == 31) {
        // §3.2.3: definite-length chunks of the same major type, closed by a break.
        const after = indefiniteString(p, end, mt, n);
        if (after == 0) return -1;
        n += load<i32>(e, 4) + 1;
        p = after;
      } else {
        if (arg > <u64>(end - p)) return fail(E_TRUNCATED, hdr);
        const l = <i32>arg;
        store<i32>(e, <i32>(p - inBase), 4);
        store<i32>(e, l, 8);
        if (mt == 2) {
          store<i32>(e, K_BYTES);
        } else {
          let mark = 0;
          let flags = F_ASCII;
          if (l > 0 && l <= CACHE_MAX) mark = shortText(p, l);
          if (l > CACHE_MAX || mark == NOT_ASCII) {
            const bad = validUtf8(p, l);
            if (bad >= 0) return fail(E_INVALID_UTF8, <i32>(p - inBase) + bad);
            flags = lastAscii ? F_ASCII : 0;
            mark = 0;
          }
          store<i32>(e, K_TEXT | flags);
          store<i32>(e, mark, 12);
        }
        p += <usize>l;
        n++;
      }
    } else if (mt <= 6) {
      // Arrays, maps (§3.2.1 indefinite) and tags open a frame.
      let total: i32 = 1;
      if (mt == 6) {
        if (ai == 31) return fail(E_BAD_INDEFINITE, hdr); // §3.2.4
        store<i32>(e, K_TAG);
        store<i32>(e, hdr, 4);
        store<u64>(e, arg, 8);
      } else {
        const isMap = mt == 5;
        total = -1;
        if (ai != 31) {
          // Every item takes at least one byte, so a count beyond the rest is truncated.
          const rest = <u64>(end - p);
          if (arg > rest || (isMap && (arg << 1) > rest)) return fail(E_TRUNCATED, hdr);
          total = isMap ? <i32>(arg << 1) : <i32>arg;
        }
        store<i32>(e, isMap ? K_MAP | F_TEXTKEYS : K_ARRAY);
        store<i32>(e, n + 1, 4);
        store<i32>(e, 0, 8);
        store<i32>(e, hdr, 12);
      }
      if (depth >= maxDepth) return fail(E_TOO_DEEP, hdr);
      n++;
      if (total != 0) {
        if (depth > 0) {
          const f = frameAt(depth - 1);
          store<i32>(f, cTi);
          store<i32>(f, cTotal, 4);
          store<i32>(f, cSeen, 8);
          store<i32>(f, cKs, 12);
          store<i32>(f, cHdr, 16);
          store<u64>(f, cBloom, 24);
        }
        depth++;
        cTi = start; cTotal = total; cSeen = 0; cKs = ksTop; cHdr = hdr; cIsMap = mt == 5; cBloom = 0;
        continue;
      }
    } else if (ai < 24) {
      // Major type 7 (§3.3): simple values 0..23 in the initial byte.
      store<i32>(e, ai < 20 ? K_SIMPLE : ai == 20 ? K_FALSE : ai == 21 ? K_TRUE : ai == 22 ? K_NULL : K_UNDEF);
      store<i32>(e, <i32>ai, 4);
      n++;
    } else if (ai == 24) {
      if (arg < 32) return fail(E_BAD_SIMPLE, hdr); // §3.3: 0..31 need no second byte
      store<i32>(e, K_SIMPLE);
      store<i32>(e, <i32>arg, 4);
      n++;
    } else if (ai != 31) {
      store<i32>(e, K_FLOAT);
      store<f64>(e, ai == 25 ? halfToF64(<u32>arg) : ai == 26 ? singleToF64(<u32>arg) : reinterpret<f64>(arg), 8);
      n++;
    } else {
      // Break (§3.2.1): closes the innermost indefinite array or map.
      if (depth == 0 || cTotal != -1) return fail(E_UNEXPECTED_BREAK, hdr);
      if (cIsMap && (cSeen & 1) != 0) return fail(E_MISSING_VALUE, hdr);
      cTotal = cSeen; // now complete: closed below like a definite container
      cSeen--;
      start = -1;
    }
    // `start` is a complete item (or -1 after a break): count it in the enclosing containers.
    while (depth > 0) {
      if (start >= 0) {
        if (cIsMap && (cSeen & 1) == 0) {
          const ke = entryAt(tapeBase, start);
          const kk = load<i32>(ke) & 0xff;
          let fp: u64;
          if (kk == K_TEXT) {
            // The common case, inline: a definite text key.
            fp = bytesFingerprint(inBase + <usize>load<i32>(ke, 4), <usize>load<i32>(ke, 8)) ^ <u64>K_TEXT;
          } else {
            if (kk != K_TEXT_INDEF) {
              const te = entryAt(tapeBase, cTi);
              store<i32>(te, load<i32>(te) & ~F_TEXTKEYS);
            }
            fp = fingerprint(start);
          }
          // Only a key whose fingerprint bit was seen before needs comparing.
          const bit = <u64>1 << ((fp * 0x9e3779b97f4a7c15) >> 58);
          const maybe = (cBloom & bit) != 0;
          cBloom |= bit;
          if (pushKey(cKs, ksTop, start, startOff, fp, maybe)) return fail(E_DUPLICATE_KEY, startOff);
          ksTop++;
        }
      }
      cSeen++;
      if (cSeen != cTotal) break;
      // The container (or a tag and its content) is complete.
      const te = entryAt(tapeBase, cTi);
      if (cIsMap) {
        store<i32>(te, n, 4);
        store<i32>(te, cTotal >> 1, 8);
        const dup = findDuplicate(cKs, ksTop);
        if (dup >= 0) return fail(E_DUPLICATE_KEY, dup);
        ksTop = cKs;
      } else if ((load<i32>(te) & 0xff) == K_ARRAY) {
        store<i32>(te, n, 4);
        store<i32>(te, cTotal, 8);
      }
      start = cTi;
      startOff = cHdr;
      if (--depth > 0) {
        const f = frameAt(depth - 1);
        cTi = load<i32>(f);
        cTotal = load<i32>(f, 4);
        cSeen = load<i32>(f, 8);
        cKs = load<i32>(f, 12);
        cHdr = load<i32>(f, 16);
        cBloom = load<u64>(f, 24);
        cIsMap = (load<i32>(entryAt(tapeBase, cTi)) & 0xff) == K_MAP;
      }
    }
    if (depth == 0) {
      if (p != end) return fail(E_TRAILING_BYTES, <i32>(p - inBase));
      return n;
    }
  }
  return -1;
}
