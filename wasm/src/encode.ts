/**
 * CBOR encoder with preferred serialization (RFC 8949 §4.1): shortest argument encoding,
 * definite lengths, floats in the shortest width that keeps their value.
 * @module
 */
import { Simple, Tagged } from "./values";
import { toHalf, fitsSingle } from "./float16";
import { MAX_DEPTH_CAP } from "./limits";

const TWO32 = 4294967296;
const TWO64 = 1n << 64n;
// As deep as the decoder accepts; deeper is almost surely a cycle.
const MAX_NESTING = MAX_DEPTH_CAP;
const textEncoder = new TextEncoder();

class Writer {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Writes a head (§3): major type `mt` with a non-negative integer argument < 2^64. */
  head(mt: number, arg: number): void {
    this.ensure(9);
    const b = this.buf;
    const m = mt << 5;
    if (arg < 24) b[this.pos++] = m | arg;
    else if (arg < 0x100) { b[this.pos] = m | 24; b[this.pos + 1] = arg; this.pos += 2; }
    else if (arg < 0x10000) { b[this.pos] = m | 25; this.view.setUint16(this.pos + 1, arg); this.pos += 3; }
    else if (arg < TWO32) { b[this.pos] = m | 26; this.view.setUint32(this.pos + 1, arg); this.pos += 5; }
    else {
      b[this.pos] = m | 27;
      this.view.setUint32(this.pos + 1, Math.floor(arg / TWO32));
      this.view.setUint32(this.pos + 5, arg >>> 0);
      this.pos += 9;
    }
  }

  headBig(mt: number, arg: bigint): void {
    if (arg < BigInt(Number.MAX_SAFE_INTEGER)) return this.head(mt, Number(arg));
    this.ensure(9);
    this.buf[this.pos] = (mt << 5) | 27;
    this.view.setBigUint64(this.pos + 1, arg);
    this.pos += 9;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  text(s: string): void {
    const n = s.length;
    // ASCII fast path: one byte per code unit, written as it is checked.
    if (n < 256) {
      this.ensure(n + 2);
      const b = this.buf;
      const start = this.pos;
      let p = start + (n < 24 ? 1 : 2);
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        if (n < 24) b[start] = 0x60 | n;
        else { b[start] = 0x78; b[start + 1] = n; }
        this.pos = p;
        return;
      }
    }
    // Lone surrogates become U+FFFD, as TextEncoder writes them (3 bytes each).
    const bytes = textEncoder.encode(s);
    this.head(3, bytes.length);
    this.bytes(bytes);
  }

  float(v: number): void {
    this.ensure(9);
    const b = this.buf;
    if (fitsSingle(v)) {
      const h = toHalf(v);
      if (h >= 0) {
        b[this.pos] = 0xf9;
        this.view.setUint16(this.pos + 1, h);
        this.pos += 3;
        return;
      }
      b[this.pos] = 0xfa;
      this.view.setFloat32(this.pos + 1, v);
      this.pos += 5;
      return;
    }
    b[this.pos] = 0xfb;
    this.view.setFloat64(this.pos + 1, v);
    this.pos += 9;
  }
}

const writer = new Writer();

function encodeBigInt(w: Writer, v: bigint): void {
  if (v >= 0n) {
    if (v < TWO64) return w.headBig(0, v);
    return bignum(w, 2, v); // §3.4.3
  }
  const m = -1n - v;
  if (m < TWO64) return w.headBig(1, m);
  bignum(w, 3, m);
}

function bignum(w: Writer, tag: number, v: bigint): void {
  let hex = v.toString(16);
  if (hex.length & 1) hex = "0" + hex;
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  w.head(6, tag);
  w.head(2, b.length);
  w.bytes(b);
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function item(w: Writer, v: unknown, depth: number): void {
  switch (typeof v) {
    case "number":
      // Integers in the safe range use major types 0/1; larger ones stay floats so that
      // decoding gives back a number, not a bigint. -0 is a float (§4.1 keeps its sign).
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v >= 0 ? w.head(0, v) : w.head(1, -1 - v);
      return w.float(v);
    case "string": return w.text(v);
    case "boolean": w.ensure(1); w.buf[w.pos++] = v ? 0xf5 : 0xf4; return;
    case "undefined": w.ensure(1); w.buf[w.pos++] = 0xf7; return;
    case "bigint": return encodeBigInt(w, v);
    case "object": {
      if (v === null) { w.ensure(1); w.buf[w.pos++] = 0xf6; return; }
      if (depth >= MAX_NESTING) throw new TypeError("CBOR encode: nesting too deep (cyclic value?)");
      if (v instanceof Uint8Array) { w.head(2, v.length); return w.bytes(v); }
      if (Array.isArray(v)) {
        w.head(4, v.length);
        for (let i = 0; i < v.length; i++) item(w, v[i], depth + 1);
        return;
      }
      if (v instanceof Map) {
        w.head(5, v.size);
        for (const [k, x] of v) { item(w, k, depth + 1); item(w, x, depth + 1); }
        return;
      }
      if (v instanceof Tagged) {
        if (typeof v.tag === "bigint") w.headBig(6, v.tag);
        else w.head(6, v.tag);
        return item(w, v.value, depth + 1);
      }
      if (v instanceof Simple) {
        w.ensure(2);
        if (v.value < 24) w.buf[w.pos++] = 0xe0 | v.value;
        else { w.buf[w.pos] = 0xf8; w.buf[w.pos + 1] = v.value; w.pos += 2; }
        return;
      }
      if (isPlainObject(v)) {
        const keys = Object.keys(v);
        w.head(5, keys.length);
        for (const k of keys) { w.text(k); item(w, v[k], depth + 1); }
        return;
      }
      throw new TypeError(`CBOR encode: unsupported object ${Object.prototype.toString.call(v)}`);
    }
    default:
      throw new TypeError(`CBOR encode: unsupported type ${typeof v}`);
  }
}

/**
 * Encodes a value with preferred serialization. Supports what `decode` produces:
 * number, bigint, string, Uint8Array, arrays, plain objects, Map, boolean, null,
 * undefined, {@link Tagged} and {@link Simple}. Throws TypeError for anything else.
 * @example
 * encode({ a: 1, b: [2, 3] }) // a2 61 61 01 61 62 82 02 03
 */
export function encode(value: unknown): Uint8Array {
  writer.pos = 0;
  try {
    item(writer, value, 0);
    return writer.buf.slice(0, writer.pos);
  } finally {
    // A huge one-off value should not pin a huge buffer.
    if (writer.buf.length > 1 << 20) {
      writer.buf = new Uint8Array(1024);
      writer.view = new DataView(writer.buf.buffer);
    }
  }
}
