/**
 * MQTT framing: a byte stream in, whole packets (as bytes) out, without decoding them.
 *
 * The fixed header (type + remaining length) says where each packet ends, so a packet split
 * over many WebSocket messages (MQTT.js sends every field separately) or several packets in one
 * message both work, and the size limit is enforced before a body is buffered. The edge Worker
 * frames with this alone (cheap: no field is parsed) and hands whole packets to the object;
 * {@link MqttStream} frames with it and then decodes.
 */
import { MqttProtocolError, malformed, protocolViolation } from "./errors";
import type { ProtocolVersion } from "./packets";

/** Largest packet accepted unless configured otherwise (256 KiB). */
export const DEFAULT_MAXIMUM_PACKET_SIZE = 256 * 1024;

const CONNECT = 1;
const PINGREQ = 12;

/** Options of {@link MqttFramer}. */
export interface MqttFramerOptions {
  /** "server" enforces CONNECT-first and no second CONNECT; "client" frames anything. */
  role?: "server" | "client";
  /** CONNECT was already received on this connection (a restored stream). */
  connected?: boolean;
  /** Known protocol version (5 checks minimal remaining-length encodings). */
  protocolVersion?: ProtocolVersion;
  /** Largest accepted packet in bytes, fixed header included; larger → 0x95. */
  maximumPacketSize?: number;
}

/** The packet type (upper nibble of the first byte) of a framed packet. */
export function packetType(frame: Uint8Array): number {
  return frame[0] >> 4;
}

/** Whether a framed packet is a PINGREQ (`C0 00`). */
export function isPingreq(frame: Uint8Array): boolean {
  return frame.byteLength === 2 && frame[0] === PINGREQ << 4 && frame[1] === 0;
}

/**
 * Splits a byte stream into whole packets. After it throws (always an
 * {@link MqttProtocolError}) it is dead: every later `push` rethrows.
 * `push` takes ownership of `bytes`: returned frames may be views into them.
 * @example
 * const framer = new MqttFramer();
 * for (const frame of framer.push(chunk)) if (!isPingreq(frame)) forward(frame);
 */
export class MqttFramer {
  readonly #role: "server" | "client";
  readonly #maximumPacketSize: number;
  #connected: boolean;
  /** Set once the version is known; decides the minimal-length rule. */
  protocolVersion: ProtocolVersion | undefined;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Length of the packet being gathered, once its fixed header is in (a packet often comes in several messages). */
  #pending: number | null = null;
  #failed: MqttProtocolError | undefined;

  constructor(options: MqttFramerOptions = {}) {
    this.#role = options.role ?? "server";
    this.#maximumPacketSize = options.maximumPacketSize ?? DEFAULT_MAXIMUM_PACKET_SIZE;
    this.#connected = options.connected ?? false;
    this.protocolVersion = options.protocolVersion;
  }

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Every complete packet now available, in order. Throws {@link MqttProtocolError}. */
  push(bytes: Uint8Array): Uint8Array[] {
    if (this.#failed) throw this.#failed;
    if (bytes.byteLength > 0) {
      this.#chunks.push(bytes);
      this.#buffered += bytes.byteLength;
    }
    const frames: Uint8Array[] = [];
    try {
      for (;;) {
        const total = this.#pending ?? this.#frameLength();
        this.#pending = total;
        if (total === null || this.#buffered < total) break;
        this.#pending = null;
        const frame = this.#take(total);
        if (packetType(frame) === CONNECT) this.#connected = true;
        frames.push(frame);
      }
    } catch (e) {
      const error = e instanceof MqttProtocolError ? e : malformed(e instanceof Error ? e.message : String(e));
      error.frames = frames;
      error.protocolVersion ??= this.protocolVersion;
      this.#failed = error;
      this.#chunks = [];
      this.#buffered = 0;
      this.#pending = null;
      throw error;
    }
    return frames;
  }

  #byteAt(index: number): number {
    for (const chunk of this.#chunks) {
      if (index < chunk.byteLength) return chunk[index];
      index -= chunk.byteLength;
    }
    return -1;
  }

  /** Total length of the next packet, or null while its header is incomplete. */
  #frameLength(): number | null {
    if (this.#buffered === 0) return null;
    const type = this.#byteAt(0) >> 4;
    if (this.#role === "server") {
      // [MQTT-3.1.0-1] the first packet from the client MUST be CONNECT
      if (!this.#connected && type !== CONNECT) throw protocolViolation("first packet must be CONNECT [MQTT-3.1.0-1]");
      // [MQTT-3.1.0-2] a second CONNECT is a protocol error
      if (this.#connected && type === CONNECT) throw protocolViolation("second CONNECT [MQTT-3.1.0-2]");
    }
    let remaining = 0;
    let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      const byte = this.#byteAt(i);
      if (byte === -1) return null;
      remaining += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        // [MQTT-1.5.5-1] (v5) the minimum number of bytes
        if (this.protocolVersion === 5 && i > 1 && byte === 0) throw malformed("non-minimal remaining length");
        const total = 1 + i + remaining;
        // §3.1.2.11.4 / §3.2.2.3.6: over the advertised Maximum Packet Size → 0x95
        if (total > this.#maximumPacketSize) {
          throw new MqttProtocolError(0x95, `packet of ${total} bytes exceeds maximum ${this.#maximumPacketSize}`);
        }
        return total;
      }
      multiplier *= 128;
    }
    throw malformed("remaining length longer than 4 bytes");
  }

  /** Remove and return the next `n` buffered bytes (a view when they sit in one chunk). */
  #take(n: number): Uint8Array {
    const first = this.#chunks[0];
    this.#buffered -= n;
    if (first.byteLength >= n) {
      if (first.byteLength === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      const used = Math.min(chunk.byteLength, n - filled);
      // A whole chunk is copied as it is (a packet split over messages is mostly whole chunks).
      if (used === chunk.byteLength) {
        out.set(chunk, filled);
        this.#chunks.shift();
      } else {
        out.set(chunk.subarray(0, used), filled);
        this.#chunks[0] = chunk.subarray(used);
      }
      filled += used;
    }
    return out;
  }
}

/**
 * Close codes the edge uses on its link to the session's object, so the object knows why the
 * client went: `keepAlive` is the edge's finding (the client fell silent), not the client's act.
 */
export const LINK_CLOSE = { clientGone: 1000, keepAlive: 4008, protocolError: 4002 } as const;

/** Joins frames into one buffer (one WebSocket message for several packets). */
export function joinFrames(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0];
  let size = 0;
  for (const f of frames) size += f.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.byteLength;
  }
  return out;
}
