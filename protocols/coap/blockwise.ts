/**
 * Block-wise transfers (RFC 7959, RFC 8323 §6): Block1 reassembly of requests, Block2
 * cutting of responses, and the choice of a block size that fits the peer.
 */
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
 * Full representations whose later Block2 blocks a client may still fetch, keyed by resource
 * path and content format (the JSON and CBOR forms are different representations). Memory
 * only, the newest `maxEntries` kept: every block of one representation is cut from one
 * rendering, under one ETag (RFC 7959 §2.4).
 */
export class Block2Cache {
  private readonly entries = new Map<string, CoapMessage>();

  constructor(private readonly maxEntries = 8) {}

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

/** What decides how a response goes out (RFC 8323 §5.3.1, RFC 7959 §2.4). */
export interface Block2Plan {
  /** The peer's CSM values (Max-Message-Size, Block-Wise-Transfer). */
  peer: CsmValues;
  /** Our largest unasked-for block: anything bigger goes in blocks when the peer can take them. */
  blockSize: number;
  /** A block size the client chose: its Block2 in this request, or in its Observe registration. */
  requestedSzx?: number;
  /** The client used block-wise itself (Block1 or Block2 in the request), so it can take blocks. */
  clientBlockWise?: boolean;
}

/**
 * The block size (SZX) to cut a response with (it goes whole when it fits one block), `null`
 * to send it whole to a peer that cannot take blocks, or `"too-big"` when it exceeds the
 * peer's Max-Message-Size and cannot be cut to fit (RFC 8323 §5.3.1: never send more than
 * the peer allows). A peer can take blocks when it announced
 * Block-Wise-Transfer (§5.3.2) or used block-wise in the request. Blocks are at most
 * `blockSize` (1 KiB by default: libcoap 4.3.5 announces 8 MB but reads ~1.4 KB per message),
 * at most the size the client asked for (a BERT request gets 1024-byte blocks), and small
 * enough for the whole message to fit the peer's Max-Message-Size.
 */
export function chooseBlock2Szx(full: CoapMessage, plan: Block2Plan): number | null | "too-big" {
  const total = encode(full).length;
  const blockWise = plan.peer.blockWise || plan.clientBlockWise === true || plan.requestedSzx !== undefined;
  if (!blockWise) return total <= plan.peer.maxMessageSize ? null : "too-big";
  // room for the header, Block2 (≤3 bytes) and Size2 (≤4 bytes) with their option headers
  const header = total - full.payload.length + 12;
  const room = plan.peer.maxMessageSize - header;
  if (room < blockSize(0)) return "too-big";
  return Math.min(plan.requestedSzx ?? 6, 6, szxForSize(plan.blockSize), szxForSize(room));
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
