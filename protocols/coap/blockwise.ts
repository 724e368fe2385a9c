import type { BlockValue } from "./block";
import { BERT_SZX, blockOption, blockSize, szxForSize } from "./block";
import type { CoapMessage } from "./codec";
import { encode } from "./codec";
import type { CsmValues } from "./signaling";
import { Option, uintOption } from "./options";

/** Outcome of adding one Block1 block (RFC 7959 §2.3, §2.9). */
export type Block1Result =
  | { kind: "continue" }
  | { kind: "complete"; payload: Uint8Array }
  | { kind: "incomplete" }
  | { kind: "too-large" };

interface Assembly {
  chunks: Uint8Array[];
  length: number;
}

/**
 * Reassembles Block1 request payloads, keyed by method + path (RFC 7959 §2.3: tokens may
 * change between blocks). Memory only: a hibernation mid-transfer yields 4.08.
 */
export class Block1Assembler {
  private readonly assemblies = new Map<string, Assembly>();

  constructor(private readonly maxAssemblies = 4) {}

  /** Adds one block; `size1` is the announced total (RFC 7959 §4), checked on block 0. */
  add(key: string, block: BlockValue, payload: Uint8Array, size1: number | undefined, maxPayload: number): Block1Result {
    const unit = blockSize(block.szx);
    const offset = block.num * unit;
    if (block.num === 0) {
      this.assemblies.delete(key);
      if (size1 !== undefined && size1 > maxPayload) return { kind: "too-large" };
      if (!block.more) return payload.length > maxPayload ? { kind: "too-large" } : { kind: "complete", payload };
      this.evictIfFull();
      this.assemblies.set(key, { chunks: [], length: 0 });
    }
    const current = this.assemblies.get(key);
    // RFC 7959 §2.9.2: a block out of sequence is 4.08 Request Entity Incomplete
    if (current === undefined || current.length !== offset) {
      this.assemblies.delete(key);
      return { kind: "incomplete" };
    }
    // Non-final blocks carry exactly one block (or, with BERT, whole 1024-byte units; RFC 8323 §6)
    const sizeOk = block.szx === BERT_SZX ? payload.length > 0 && payload.length % unit === 0 : payload.length === unit;
    if (block.more && !sizeOk) {
      this.assemblies.delete(key);
      return { kind: "incomplete" };
    }
    if (current.length + payload.length > maxPayload) {
      this.assemblies.delete(key);
      return { kind: "too-large" };
    }
    current.chunks.push(payload);
    current.length += payload.length;
    if (block.more) return { kind: "continue" };
    this.assemblies.delete(key);
    const whole = new Uint8Array(current.length);
    let at = 0;
    for (const c of current.chunks) {
      whole.set(c, at);
      at += c.length;
    }
    return { kind: "complete", payload: whole };
  }

  /** Number of transfers in progress. */
  get size(): number {
    return this.assemblies.size;
  }

  private evictIfFull(): void {
    while (this.assemblies.size >= this.maxAssemblies) {
      const oldest = this.assemblies.keys().next().value;
      if (oldest === undefined) return;
      this.assemblies.delete(oldest);
    }
  }
}

/**
 * Full representations whose later Block2 blocks a client may still fetch, keyed by
 * resource path. Memory only; the ETag lets a client notice a changed representation.
 */
export class Block2Cache {
  private readonly entries = new Map<string, CoapMessage>();

  constructor(private readonly maxEntries = 4) {}

  /** Remembers the full response for `key` (replacing an older one). */
  put(key: string, full: CoapMessage): void {
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, full);
  }

  /** The cached full response for `key`. */
  get(key: string): CoapMessage | undefined {
    return this.entries.get(key);
  }
}

/**
 * Picks the block size for a response, or null to send it whole. A Block2 in the request
 * sets it (RFC 7959 §2.4; a BERT request is answered with 1024-byte blocks, our choice);
 * otherwise split only when the peer announced Block-Wise-Transfer and the message would
 * exceed its Max-Message-Size (RFC 8323 §5.3.1–§5.3.2).
 */
export function chooseBlock2Szx(full: CoapMessage, requested: BlockValue | undefined, peer: CsmValues): number | null {
  if (requested !== undefined) return Math.min(requested.szx, 6);
  if (!peer.blockWise) return null;
  const total = encode(full).length;
  if (total <= peer.maxMessageSize) return null;
  // room for the header, Block2 (≤3 bytes) and Size2 (≤4 bytes) with their option headers
  const header = total - full.payload.length + 12;
  return szxForSize(peer.maxMessageSize - header);
}

/**
 * Block `num` of a full response (RFC 7959 §2.4), or null when `num` is past the end
 * (the caller answers 4.02 Bad Option). Observe stays on block 0 only (RFC 7959 §3.4).
 */
export function sliceBlock2(full: CoapMessage, num: number, szx: number): CoapMessage | null {
  const size = blockSize(szx);
  const offset = num * size;
  if (offset >= full.payload.length && num > 0) return null;
  const end = Math.min(offset + size, full.payload.length);
  const kept = full.options.filter(
    (o) => o.number !== Option.BLOCK2 && o.number !== Option.SIZE2 && (num === 0 || o.number !== Option.OBSERVE),
  );
  return {
    code: full.code,
    token: full.token,
    options: [...kept, blockOption(Option.BLOCK2, { num, more: end < full.payload.length, szx }), uintOption(Option.SIZE2, full.payload.length)],
    payload: full.payload.slice(offset, end),
  };
}
