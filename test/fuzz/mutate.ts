/**
 * Byte-level mutation shared by every codec fuzzer: bit flips, byte sets, "interesting" values,
 * truncation, insertion, deletion, repetition, splicing with another valid input, and length-field
 * corruption at offsets the codec's corpus marks. Driven by a seeded PRNG so every input can be
 * regenerated from (seed, index) and a failure replayed.
 */

/** A PRNG returning floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: small, fast, good enough to drive mutations. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG of input `index` of a run seeded `seed` (independent of every other index). */
export function rngAt(seed: number, index: number): Rng {
  return rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
}

/** An integer in [0, n). */
export const below = (r: Rng, n: number): number => Math.floor(r() * n);

/** A valid input to mutate, with the offsets of its length fields when the codec knows them. */
export interface Seed {
  bytes: Uint8Array;
  /** Offsets of bytes that encode a length or count (remaining length, TKL, option nibbles, …). */
  lengthAt?: readonly number[];
  /** Codec-specific context the input belongs to (e.g. which MQTT stream role); opaque here. */
  mode?: number;
}

/** Values that tend to sit on boundaries. */
const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff] as const;

/** Options of {@link mutate}. */
export interface MutateOptions {
  /** Another valid input to splice with. */
  other?: Uint8Array;
  /** Length-field offsets of the source (from its {@link Seed}). */
  lengthAt?: readonly number[];
  /** Bytes that mean something to this codec (headers, markers). */
  interesting?: readonly number[];
  /** Most edits in one input (default 4). */
  maxEdits?: number;
}

function randomBytes(r: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => below(r, 256));
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Applies 1–`maxEdits` random edits to a copy of `src`. */
export function mutate(src: Uint8Array, r: Rng, opts: MutateOptions = {}): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const edits = 1 + below(r, opts.maxEdits ?? 4);
  for (let k = 0; k < edits; k++) {
    const at = below(r, b.length + 1);
    const i = b.length ? at % b.length : 0;
    switch (below(r, 10)) {
      case 0: // bit flip
        if (b.length) b[i] ^= 1 << below(r, 8);
        break;
      case 1: // any byte
        if (b.length) b[i] = below(r, 256);
        break;
      case 2: { // a boundary or codec-specific byte
        const pool = opts.interesting?.length && r() < 0.5 ? opts.interesting : BOUNDARY;
        if (b.length) b[i] = pool[below(r, pool.length)];
        break;
      }
      case 3: // truncation
        b = b.slice(0, at);
        break;
      case 4: // insertion
        b = join(b.subarray(0, at), randomBytes(r, 1 + below(r, 8)), b.subarray(at));
        break;
      case 5: // deletion
        b = join(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + below(r, 8))));
        break;
      case 6: // repetition of a slice
        b = join(b.subarray(0, at), b.subarray(at, at + 1 + below(r, 16)), b.subarray(at));
        break;
      case 7: { // splice: our head, another input's tail
        const o = opts.other;
        if (o?.length) b = join(b.subarray(0, at), o.subarray(below(r, o.length)));
        break;
      }
      default: { // length-field corruption
        const marks = opts.lengthAt?.filter((x) => x < b.length);
        const j = marks?.length ? marks[below(r, marks.length)] : i;
        if (!b.length) break;
        const choice = below(r, 4);
        b[j] = choice === 0 ? BOUNDARY[below(r, BOUNDARY.length)] : choice === 1 ? (b[j] + 1) & 0xff : choice === 2 ? (b[j] - 1) & 0xff : below(r, 256);
      }
    }
  }
  return b;
}

/** Cuts `bytes` into 1–`max` pieces at random points (some may be empty). */
export function chunks(bytes: Uint8Array, r: Rng, max = 4): Uint8Array[] {
  const n = 1 + below(r, max);
  const cuts = Array.from({ length: n - 1 }, () => below(r, bytes.length + 1)).sort((a, b) => a - b);
  const points = [0, ...cuts, bytes.length];
  return points.slice(1).map((end, k) => bytes.subarray(points[k], end));
}

/** Hex of bytes (for failure reports; long inputs are cut). */
export function hex(b: Uint8Array, max = 4096): string {
  const h = Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, max)).toString("hex");
  return b.byteLength > max ? `${h}…(${b.byteLength} bytes)` : h;
}
