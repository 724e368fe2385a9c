// Map-key equivalence for duplicate detection (RFC 8949 §5.6, §5.6.1).
// Keys are compared on the tape, so encoding variants (0x05 vs 0x1805, definite vs
// indefinite strings, half vs double floats) compare by value as §5.6.1 requires.
import {
  K_INT, K_NUM, K_FLOAT, K_BIGPOS, K_BIGNEG, K_BYTES, K_TEXT, K_BYTES_INDEF, K_TEXT_INDEF,
  K_ARRAY, K_MAP, K_TAG, K_SIMPLE, entryAt, nextIndex,
} from "./tape";
import { tapeBase, ksBase, seed } from "./state";
import { strEq, strHash, strFingerprint } from "./strings";
import { mix } from "./hash";

/** Maps up to this many keys are checked pairwise as keys arrive; larger ones by sorting hashes. */
export const SMALL_MAP: i32 = 16;

// @ts-ignore: decorator
@inline function kindClass(k: i32): i32 {
  // Definite and indefinite strings hold the same values (RFC 8949 §3.2.3).
  if (k == K_BYTES_INDEF) return K_BYTES;
  if (k == K_TEXT_INDEF) return K_TEXT;
  return k;
}

/** True when the items at tape indices `a` and `b` are equivalent map keys (§5.6.1). */
export function itemsEqual(a: i32, b: i32): bool {
  const ea = entryAt(tapeBase, a);
  const eb = entryAt(tapeBase, b);
  const ka = kindClass(load<i32>(ea) & 0xff);
  if (ka != kindClass(load<i32>(eb) & 0xff)) return false;
  switch (ka) {
    case K_INT: case K_SIMPLE: return load<i32>(ea, 4) == load<i32>(eb, 4);
    case K_NUM: return load<f64>(ea, 8) == load<f64>(eb, 8);
    case K_BIGPOS: case K_BIGNEG: case K_TAG: {
      if (load<u64>(ea, 8) != load<u64>(eb, 8)) return false;
      return ka == K_TAG ? itemsEqual(a + 1, b + 1) : true;
    }
    case K_FLOAT: {
      const x = load<f64>(ea, 8);
      const y = load<f64>(eb, 8);
      // -0.0 equals 0.0; NaNs are equal when their significands are (§5.6.1).
      if (x == y) return true;
      return x != x && y != y && (load<u64>(ea, 8) << 1) == (load<u64>(eb, 8) << 1);
    }
    case K_BYTES: case K_TEXT: return strEq(a, b);
    case K_ARRAY: {
      const n = load<i32>(ea, 8);
      if (n != load<i32>(eb, 8)) return false;
      let ia = a + 1;
      let ib = b + 1;
      for (let j = 0; j < n; j++) {
        if (!itemsEqual(ia, ib)) return false;
        ia = nextIndex(tapeBase, ia);
        ib = nextIndex(tapeBase, ib);
      }
      return true;
    }
    case K_MAP: return mapsEqual(a, b);
    default: return true; // false, true, null, undefined: the kind is the value
  }
}

/** Maps are equal when they hold the same pairs in any order (§5.6.1). */
function mapsEqual(a: i32, b: i32): bool {
  const n = load<i32>(entryAt(tapeBase, a), 8);
  if (n != load<i32>(entryAt(tapeBase, b), 8)) return false;
  // A map nested inside a key with many pairs is compared by its order-independent hash,
  // which bounds the work an adversarial key can cause.
  if (n > SMALL_MAP) return itemHash(a) == itemHash(b);
  let ka = a + 1;
  for (let i = 0; i < n; i++) {
    const va = nextIndex(tapeBase, ka);
    let kb = b + 1;
    let found = false;
    for (let j = 0; j < n; j++) {
      const vb = nextIndex(tapeBase, kb);
      if (itemsEqual(ka, kb)) {
        if (!itemsEqual(va, vb)) return false;
        found = true;
        break;
      }
      kb = nextIndex(tapeBase, vb);
    }
    if (!found) return false;
    ka = nextIndex(tapeBase, va);
  }
  return true;
}

/** A 64-bit hash that agrees with itemsEqual: equal items hash alike. */
export function itemHash(i: i32): u64 {
  const e = entryAt(tapeBase, i);
  const k = kindClass(load<i32>(e) & 0xff);
  let h = mix(seed, <u64>k);
  switch (k) {
    case K_INT: case K_SIMPLE: return mix(h, <u64>load<i32>(e, 4));
    case K_NUM: case K_BIGPOS: case K_BIGNEG: return mix(h, load<u64>(e, 8));
    case K_FLOAT: {
      const x = load<f64>(e, 8);
      if (x == 0) return mix(h, 0);
      return mix(h, x != x ? load<u64>(e, 8) << 1 : load<u64>(e, 8));
    }
    case K_BYTES: case K_TEXT: return strHash(h, i);
    case K_TAG: return mix(mix(h, load<u64>(e, 8)), itemHash(i + 1));
    case K_ARRAY: {
      const n = load<i32>(e, 8);
      h = mix(h, <u64>n);
      let j = i + 1;
      for (let c = 0; c < n; c++) {
        h = mix(h, itemHash(j));
        j = nextIndex(tapeBase, j);
      }
      return h;
    }
    case K_MAP: {
      const n = load<i32>(e, 8);
      let sum: u64 = 0;
      let j = i + 1;
      for (let c = 0; c < n; c++) {
        const v = nextIndex(tapeBase, j);
        sum += mix(itemHash(j), itemHash(v)); // a sum ignores pair order
        j = nextIndex(tapeBase, v);
      }
      return mix(mix(h, <u64>n), sum);
    }
    default: return h;
  }
}

// Key scratch entries: u64 hash, i32 tape index, i32 byte offset.
// @ts-ignore: decorator
@inline function ksAt(j: i32): usize {
  return ksBase + (<usize>j << 4);
}

/**
 * A cheap value that equal keys share (length and first bytes of strings, the value of
 * numbers), so most unequal keys are told apart without a full comparison.
 */
export function fingerprint(i: i32): u64 {
  const e = entryAt(tapeBase, i);
  const k = kindClass(load<i32>(e) & 0xff);
  switch (k) {
    case K_INT: case K_SIMPLE: return (<u64>load<u32>(e, 4) << 8) ^ <u64>k;
    case K_NUM: case K_BIGPOS: case K_BIGNEG: case K_TAG: return load<u64>(e, 8) ^ <u64>k;
    case K_FLOAT: {
      const x = load<f64>(e, 8);
      if (x == 0) return <u64>k;
      return (x != x ? load<u64>(e, 8) << 1 : load<u64>(e, 8)) ^ <u64>k;
    }
    case K_BYTES: case K_TEXT: return strFingerprint(i) ^ <u64>k;
    default: return <u64>k;
  }
}

/**
 * Records a key with its fingerprint; returns true when it duplicates an earlier key of a
 * small map (larger maps are checked by findDuplicate when they close). `maybe` is false
 * when no earlier key of the map can share the fingerprint (its bloom bit was clear).
 */
// @ts-ignore: decorator
@inline export function pushKey(ksStart: i32, ksTop: i32, tapeIdx: i32, offset: i32, fp: u64, maybe: bool): bool {
  const s = ksAt(ksTop);
  store<u64>(s, fp);
  store<i32>(s, tapeIdx, 8);
  store<i32>(s, offset, 12);
  if (!maybe || ksTop - ksStart >= SMALL_MAP) return false;
  for (let j = ksStart; j < ksTop; j++) {
    const o = ksAt(j);
    if (load<u64>(o) == fp && itemsEqual(load<i32>(o, 8), tapeIdx)) return true;
  }
  return false;
}

/**
 * For a map with more than SMALL_MAP keys: sorts the keys by hash and compares the
 * keys within each run of equal hashes. Returns the byte offset of the later key of a
 * duplicate pair, or -1. O(n log n); colliding but unequal keys cost only their run.
 */
export function findDuplicate(ksStart: i32, ksTop: i32): i32 {
  const n = ksTop - ksStart;
  if (n <= SMALL_MAP) return -1;
  for (let j = ksStart; j < ksTop; j++) store<u64>(ksAt(j), itemHash(load<i32>(ksAt(j), 8)));
  heapSort(ksAt(ksStart), n);
  let run = 0;
  for (let j = 1; j <= n; j++) {
    if (j < n && load<u64>(ksAt(ksStart + j)) == load<u64>(ksAt(ksStart + run))) continue;
    for (let x = run; x < j; x++) {
      for (let y = x + 1; y < j; y++) {
        const ex = ksAt(ksStart + x);
        const ey = ksAt(ksStart + y);
        if (itemsEqual(load<i32>(ex, 8), load<i32>(ey, 8))) {
          const ox = load<i32>(ex, 12);
          const oy = load<i32>(ey, 12);
          return ox > oy ? ox : oy;
        }
      }
    }
    run = j;
  }
  return -1;
}

function heapSort(base: usize, n: i32): void {
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(base, i, n);
  for (let end = n - 1; end > 0; end--) {
    swap(base, 0, end);
    siftDown(base, 0, end);
  }
}

function siftDown(base: usize, root: i32, n: i32): void {
  while (true) {
    let child = (root << 1) + 1;
    if (child >= n) return;
    if (child + 1 < n && load<u64>(base + (<usize>(child + 1) << 4)) > load<u64>(base + (<usize>child << 4))) child++;
    if (load<u64>(base + (<usize>root << 4)) >= load<u64>(base + (<usize>child << 4))) return;
    swap(base, root, child);
    root = child;
  }
}

// @ts-ignore: decorator
@inline function swap(base: usize, i: i32, j: i32): void {
  const a = base + (<usize>i << 4);
  const b = base + (<usize>j << 4);
  const a0 = load<u64>(a);
  const a1 = load<u64>(a, 8);
  store<u64>(a, load<u64>(b));
  store<u64>(a, load<u64>(b, 8), 8);
  store<u64>(b, a0);
  store<u64>(b, a1, 8);
}
