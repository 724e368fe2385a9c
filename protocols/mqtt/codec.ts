/**
 * MQTT codec: a byte stream in, typed packets out; typed packets in, bytes out.
 *
 * Framing is ours (fixed header + remaining length), so a packet split over many
 * WebSocket messages (MQTT.js sends each field separately) or several packets in
 * one message both work, the size limit is enforced before buffering a body, and
 * mqtt-packet only ever sees exactly one complete packet.
 */
import { generate } from "mqtt-packet";
import { createPacketParser, type PacketParser } from "./codec-parser";
import { fromRaw } from "./codec-from";
import { toRaw } from "./codec-to";
import { validatePacket, type CodecRole } from "./codec-validate";
import { MqttProtocolError, malformed, protocolViolation } from "./errors";
import type { MqttPacket, ProtocolVersion } from "./packets";

export type { CodecRole } from "./codec-validate";

/** Largest packet accepted unless configured otherwise (256 KiB). */
export const DEFAULT_MAXIMUM_PACKET_SIZE = 256 * 1024;

/** Options of {@link MqttStream}. */
export interface MqttStreamOptions {
  /** "server" (default) decodes what clients send and enforces CONNECT-first. */
  role?: CodecRole;
  /** Known protocol version: required for role "client"; for a server, restores a stream after hibernation. */
  protocolVersion?: ProtocolVersion;
  /** Server role: CONNECT was already received on this connection (restoring after hibernation). */
  connected?: boolean;
  /** Largest accepted packet in bytes, fixed header included; larger → 0x95. */
  maximumPacketSize?: number;
}

const CONNECT = 1;

/**
 * Incremental decoder for one connection. Feed it every received chunk; it returns
 * the complete packets. After it throws (always an {@link MqttProtocolError}) it is
 * dead: every later `push` rethrows, and the connection must be closed.
 *
 * `push` takes ownership of `bytes`: decoded payloads may be views into them.
 *
 * @example
 * const stream = new MqttStream();
 * ws.onmessage = (e) => { for (const packet of stream.push(new Uint8Array(e.data))) handle(packet) };
 */
export class MqttStream {
  readonly #role: CodecRole;
  readonly #maximumPacketSize: number;
  readonly #parser: PacketParser;
  #version: ProtocolVersion | undefined;
  #connected: boolean;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #failed: MqttProtocolError | undefined;

  /** @param options see {@link MqttStreamOptions} */
  constructor(options: MqttStreamOptions = {}) {
    this.#role = options.role ?? "server";
    this.#maximumPacketSize = options.maximumPacketSize ?? DEFAULT_MAXIMUM_PACKET_SIZE;
    this.#version = options.protocolVersion ?? (this.#role === "client" ? 4 : undefined);
    this.#connected = options.connected ?? false;
    this.#parser = createPacketParser(this.#version);
  }

  /** Protocol version learned from CONNECT (or given), undefined before. */
  get protocolVersion(): ProtocolVersion | undefined {
    return this.#version;
  }

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Decode every complete packet now available. Throws {@link MqttProtocolError}. */
  push(bytes: Uint8Array): MqttPacket[] {
    if (this.#failed) throw this.#failed;
    if (bytes.byteLength > 0) {
      this.#chunks.push(bytes);
      this.#buffered += bytes.byteLength;
    }
    const packets: MqttPacket[] = [];
    try {
      for (;;) {
        const total = this.#frameLength();
        if (total === null || this.#buffered < total) break;
        packets.push(this.#decode(this.#take(total)));
      }
    } catch (e) {
      const error = e instanceof MqttProtocolError ? e : malformed(e instanceof Error ? e.message : String(e));
      error.packets = packets;
      error.protocolVersion ??= this.#version;
      this.#failed = error;
      this.#chunks = [];
      this.#buffered = 0;
      throw error;
    }
    return packets;
  }

  /** Encode for this connection's protocol version (3.1.1 until CONNECT says otherwise). */
  encode(packet: MqttPacket): Uint8Array {
    return encode(packet, this.#version ?? 4);
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
        if (this.#version === 5 && i > 1 && byte === 0) throw malformed("non-minimal remaining length");
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
      out.set(chunk.subarray(0, used), filled);
      filled += used;
      if (used === chunk.byteLength) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    return out;
  }

  #decode(bytes: Uint8Array): MqttPacket {
    const isConnect = bytes[0] >> 4 === CONNECT;
    if (isConnect && this.#role === "server") this.#learnVersion(bytes);
    const version = this.#version ?? 4;
    const packet = fromRaw(this.#parser.parse(bytes), version);
    validatePacket(packet, version, this.#role);
    if (isConnect) this.#connected = true;
    return packet;
  }

  /** Read protocol name and level from a CONNECT before mqtt-packet does. */
  #learnVersion(bytes: Uint8Array): void {
    let offset = 1;
    while (offset < 5 && (bytes[offset] & 0x80) !== 0) offset++;
    offset++;
    const nameLength = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
    const name = nameLength > 6 ? "" : String.fromCharCode(...bytes.subarray(offset + 2, offset + 2 + nameLength));
    const level = bytes[offset + 2 + nameLength];
    // [MQTT-3.1.2-1] a wrong protocol name: close without processing further
    if (name !== "MQTT" && name !== "MQIsdp") throw malformed(`unknown protocol name "${name}" [MQTT-3.1.2-1]`);
    // [MQTT-3.1.2-2] an unsupported level is answered with CONNACK 0x01 (0x84 in v5)
    if (level !== 3 && level !== 4 && level !== 5) throw new MqttProtocolError(0x84, `unsupported protocol level ${String(level)} [MQTT-3.1.2-2]`);
    this.#version = level;
    this.#parser.protocolVersion = level;
  }
}

/**
 * Encode one packet for `protocolVersion`. v5-only fields are dropped for 3.1/3.1.1.
 * Throws {@link MqttProtocolError} (0x83) if mqtt-packet refuses the packet.
 * @example ws.send(encode({ type: "pingresp" }, 4))
 */
export function encode(packet: MqttPacket, protocolVersion: ProtocolVersion): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = generate(toRaw(packet, protocolVersion), { protocolVersion });
  } catch (e) {
    throw new MqttProtocolError(0x83, `cannot encode ${packet.type}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
