import type { CoapOption } from "./codec";
import { CoapError } from "./errors";

/** A Block1 or Block2 option value (RFC 7959 §2.2). */
export interface BlockValue {
  /** Block number, 0 … 2^20-1. */
  num: number;
  /** M: more blocks follow. */
  more: boolean;
  /** Size exponent: size = 2^(szx+4). 7 is BERT (RFC 8323 §6), 1024-byte units. */
  szx: number;
}

/** Largest block number a 3-byte value can carry (RFC 7959 §2.2). */
export const MAX_BLOCK_NUM = (1 << 20) - 1;
/** SZX 7 means BERT over reliable transports (RFC 8323 §6); reserved in RFC 7959. */
export const BERT_SZX = 7;

/** Bytes per block unit: 2^(szx+4), BERT counts in 1024-byte units (RFC 8323 §6). */
export function blockSize(szx: number): number {
  return szx >= BERT_SZX ? 1024 : 1 << (szx + 4);
}

/** The largest non-BERT SZX whose block size fits in `bytes` (at least 0, i.e. 16 bytes). */
export function szxForSize(bytes: number): number {
  let szx = 6;
  while (szx > 0 && blockSize(szx) > bytes) szx--;
  return szx;
}

/**
 * Encodes NUM/M/SZX as a 0–3 byte uint (RFC 7959 §2.2).
 *
 * @example
 * encodeBlock({ num: 1, more: true, szx: 6 }) // → [0x1e]
 */
export function encodeBlock(block: BlockValue): Uint8Array {
  const { num, more, szx } = block;
  if (!Number.isInteger(num) || num < 0 || num > MAX_BLOCK_NUM) throw new CoapError("invalid-value", "block NUM out of range");
  if (!Number.isInteger(szx) || szx < 0 || szx > 7) throw new CoapError("invalid-value", "block SZX out of range");
  const v = num * 16 + (more ? 8 : 0) + szx;
  if (v === 0) return new Uint8Array(0);
  if (v < 0x100) return Uint8Array.of(v);
  if (v < 0x10000) return Uint8Array.of(v >> 8, v & 0xff);
  return Uint8Array.of(v >> 16, (v >> 8) & 0xff, v & 0xff);
}

/** Decodes a Block1/Block2 value; more than 3 bytes is a `CoapError` (RFC 7959 §2.2). */
export function decodeBlock(value: Uint8Array): BlockValue {
  if (value.length > 3) throw new CoapError("invalid-value", "block option longer than 3 bytes");
  let v = 0;
  for (const b of value) v = v * 256 + b;
  return { num: v >> 4, more: (v & 0x08) !== 0, szx: v & 0x07 };
}

/** A Block1 (27) or Block2 (23) option. */
export function blockOption(number: 23 | 27, block: BlockValue): CoapOption {
  return { number, value: encodeBlock(block) };
}
