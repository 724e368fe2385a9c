/**
 * Text from the tape: short ASCII without TextDecoder (its per-call cost dominates for
 * the short keys and names that IoT payloads are made of), and the JS half of the string
 * cache whose lookup runs in WASM (wasm/assembly/cbor/cache.ts).
 * @module
 */
import { CACHE_SLOTS, CACHE_SLOT_SIZE } from "./tape";

// ignoreBOM: a leading U+FEFF is content, not a byte-order mark (RFC 8949 §3.1 type 3).
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Decodes `len` bytes at `p` that WASM validated as UTF-8. */
export function utf8String(u8: Uint8Array, p: number, len: number): string {
  return utf8.decode(u8.subarray(p, p + len));
}

/** Decodes `len` ASCII bytes at `p`. */
export function asciiString(u8: Uint8Array, p: number, len: number): string {
  if (len > 64) return utf8.decode(u8.subarray(p, p + len));
  let s = "";
  let i = p;
  const end = p + len;
  // Four code units per call keeps the number of intermediate strings low.
  for (; i + 4 <= end; i += 4) s += String.fromCharCode(u8[i], u8[i + 1], u8[i + 2], u8[i + 3]);
  for (; i < end; i++) s += String.fromCharCode(u8[i]);
  return s;
}

const MAX_FILLS = 256;

/**
 * JS strings for the WASM cache slots. A slot's bytes (in WASM memory) and its string
 * here change together, and only after a decode succeeded: hits found during a parse
 * refer to the table as it was when the parse ran.
 */
export class StringCache {
  /** String per slot; valid wherever WASM reports a hit. */
  readonly strings: string[] = new Array<string>(CACHE_SLOTS).fill("");
  private readonly fillSlot = new Int32Array(MAX_FILLS);
  private readonly fillAt = new Int32Array(MAX_FILLS);
  private readonly fillLen = new Int32Array(MAX_FILLS);
  private readonly fillStr: string[] = new Array<string>(MAX_FILLS).fill("");
  private fills = 0;

  /** Remembers that `s` (from `len` bytes at absolute address `at`) belongs in `slot`. */
  miss(slot: number, at: number, len: number, s: string): void {
    const k = this.fills;
    if (k === MAX_FILLS) return;
    this.fillSlot[k] = slot;
    this.fillAt[k] = at;
    this.fillLen[k] = len;
    this.fillStr[k] = s;
    this.fills = k + 1;
  }

  /** Drops pending fills (the decode failed). */
  discard(): void {
    this.fills = 0;
  }

  /** Writes pending fills into the WASM table at `table` and into `strings`. */
  commit(u8: Uint8Array, i32: Int32Array, table: number): void {
    for (let k = 0; k < this.fills; k++) {
      const slot = this.fillSlot[k];
      const base = table + slot * CACHE_SLOT_SIZE;
      const at = this.fillAt[k];
      const len = this.fillLen[k];
      u8.copyWithin(base + 8, at, at + len);
      i32[base >> 2] = len;
      this.strings[slot] = this.fillStr[k];
    }
    this.fills = 0;
  }
}
