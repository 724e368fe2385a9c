/**
 * Builds JS values from the tape that the WASM parser wrote (layout: wasm/assembly/cbor/tape.ts).
 * @module
 */
import {
  K_INT, K_NUM, K_FLOAT, K_BIGPOS, K_BIGNEG, K_BYTES, K_TEXT, K_BYTES_INDEF, K_TEXT_INDEF,
  K_ARRAY, K_MAP, K_TAG, K_SIMPLE, K_FALSE, K_TRUE, K_NULL, K_UNDEF, F_ASCII, F_TEXTKEYS,
} from "./tape";
import { CborError } from "./errors";
import { Simple, Tagged } from "./values";
import { StringCache, asciiString, utf8String } from "./strings";

const TWO32 = 4294967296;

/** Walks the tape of one WASM instance; its views follow the instance's memory. */
export class TapeReader {
  u8: Uint8Array;
  t32: Int32Array;
  f64: Float64Array;
  /** Address of the input copy in WASM memory. */
  input = 0;
  /** Int32 index of tape entry 0 in WASM memory. */
  tape = 0;
  /** Int32 index of the next tape entry to read. */
  cur = 0;
  readonly cache = new StringCache();
  private buffer: ArrayBuffer;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.buffer = memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.t32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  /**
   * Re-creates the views after WASM memory grew. Growth detaches the old buffer, which
   * empties its views: checking a view's length avoids the costlier `memory.buffer` getter.
   */
  refresh(): void {
    if (this.u8.length !== 0 && this.memory.buffer === this.buffer) return;
    this.buffer = this.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.t32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  /** Text of the TEXT entry at int32 index `i`. */
  text(i: number): string {
    const t = this.t32;
    const w = t[i];
    const at = this.input + t[i + 1];
    const len = t[i + 2];
    if ((w & F_ASCII) === 0) return utf8String(this.u8, at, len);
    const c = t[i + 3];
    if (c > 0) return this.cache.strings[c - 1];
    const s = asciiString(this.u8, at, len);
    if (c < 0) this.cache.miss(-c - 1, at, len, s);
    return s;
  }

  /** Reads the next item and everything nested in it. */
  value(): unknown {
    const t = this.t32;
    const i = this.cur;
    this.cur = i + 4;
    const w = t[i];
    switch (w & 0xff) {
      case K_INT: return t[i + 1];
      case K_NUM: case K_FLOAT: return this.f64[(i >> 1) + 1];
      case K_TEXT: {
        const c = t[i + 3];
        return c > 0 ? this.cache.strings[c - 1] : this.text(i);
      }
      case K_MAP: return (w & F_TEXTKEYS) !== 0 ? this.object(t[i + 2]) : this.map(t[i + 2], t[i + 3]);
      case K_ARRAY: {
        const n = t[i + 2];
        const a = new Array<unknown>(n);
        for (let k = 0; k < n; k++) a[k] = this.value();
        return a;
      }
      case K_FALSE: return false;
      case K_TRUE: return true;
      case K_NULL: return null;
      case K_UNDEF: return undefined;
      case K_BYTES: {
        const at = this.input + t[i + 1];
        return this.u8.slice(at, at + t[i + 2]);
      }
      case K_TEXT_INDEF: {
        let s = "";
        for (let k = t[i + 1]; k > 0; k--) {
          s += this.text(this.cur);
          this.cur += 4;
        }
        return s;
      }
      case K_BYTES_INDEF: return this.chunks(t[i + 1], t[i + 2]);
      case K_TAG: return this.tagged(i);
      case K_BIGPOS: return this.u64(i);
      case K_BIGNEG: return -1n - this.u64(i);
      case K_SIMPLE: return new Simple(t[i + 1]);
      default: throw new CborError("internal_error", -1);
    }
  }

  /** Skips the item at the cursor without building it. */
  skip(): void {
    const t = this.t32;
    const i = this.cur;
    const k = t[i] & 0xff;
    if (k === K_ARRAY || k === K_MAP) this.cur = this.tape + (t[i + 1] << 2);
    else if (k === K_TAG) { this.cur = i + 4; this.skip(); }
    else if (k === K_TEXT_INDEF || k === K_BYTES_INDEF) this.cur = i + 4 + (t[i + 1] << 2);
    else this.cur = i + 4;
  }

  private object(n: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    const t = this.t32;
    const strings = this.cache.strings;
    for (let k = 0; k < n; k++) {
      // Keys are mostly short ASCII already in the string cache: take them directly.
      const i = this.cur;
      const c = t[i + 3];
      let key: string;
      if ((t[i] & 0xff) === K_TEXT && c > 0) {
        key = strings[c - 1];
        this.cur = i + 4;
      } else {
        key = this.value() as string;
      }
      const v = this.value();
      // A "__proto__" key must become an own property, not replace the prototype.
      if (key === "__proto__") Object.defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
      else o[key] = v;
    }
    return o;
  }

  private map(n: number, offset: number): Map<unknown, unknown> {
    const m = new Map<unknown, unknown>();
    for (let k = 0; k < n; k++) {
      const key = this.value();
      m.set(key, this.value());
    }
    // CBOR keys that JS Map conflates (1 and 1.0, NaNs, bignums with leading zeros).
    if (m.size !== n) throw new CborError("unrepresentable_key", offset);
    return m;
  }

  private chunks(count: number, total: number): Uint8Array {
    const out = new Uint8Array(total);
    const t = this.t32;
    let o = 0;
    for (let k = 0; k < count; k++) {
      const j = this.cur;
      const at = this.input + t[j + 1];
      const len = t[j + 2];
      out.set(this.u8.subarray(at, at + len), o);
      o += len;
      this.cur = j + 4;
    }
    return out;
  }

  private u64(i: number): bigint {
    return (BigInt(this.t32[i + 3] >>> 0) << 32n) | BigInt(this.t32[i + 2] >>> 0);
  }

  private tagged(i: number): unknown {
    const t = this.t32;
    const lo = t[i + 2] >>> 0;
    const hi = t[i + 3] >>> 0;
    const content = this.value();
    if (hi === 0 && (lo === 2 || lo === 3)) {
      // RFC 8949 §3.4.3: bignums; the content must be a byte string.
      if (!(content instanceof Uint8Array)) throw new CborError("invalid_bignum", t[i + 1]);
      const n = bytesToBigInt(content);
      return lo === 2 ? n : -1n - n;
    }
    const tag = hi < 0x200000 ? hi * TWO32 + lo : this.u64(i);
    return new Tagged(tag, content);
  }
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function bytesToBigInt(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let hex = "0x";
  for (let k = 0; k < b.length; k++) hex += HEX[b[k]];
  return BigInt(hex);
}
