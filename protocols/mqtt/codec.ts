/**
 * MQTT codec: a byte stream in, typed packets out; typed packets in, bytes out.
 *
 * Framing is ours ({@link MqttFramer}: fixed header + remaining length), so mqtt-packet
 * only ever sees exactly one complete packet.
 */
import { generate } from "mqtt-packet";
import { createPacketParser, type PacketParser } from "./codec-parser";
import { fastDecode, fastEncode } from "./codec-fast";
import { fromRaw } from "./codec-from";
import { toRaw } from "./codec-to";
import { validatePacket, type CodecRole } from "./codec-validate";
import { MqttProtocolError, malformed } from "./errors";
import { MqttFramer } from "./framer";
import type { MqttPacket, ProtocolVersion } from "./packets";
import { utf8ByteLength } from "../json-value";

export type { CodecRole } from "./codec-validate";

export { DEFAULT_MAXIMUM_PACKET_SIZE } from "./framer";

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
 * Incremental decoder for one connection: {@link MqttFramer} to find whole packets, then
 * mqtt-packet (hardened) to decode each. Feed it every received chunk; it returns the complete
 * packets. After it throws (always an {@link MqttProtocolError}) it is dead: every later `push`
 * rethrows, and the connection must be closed.
 *
 * `push` takes ownership of `bytes`: decoded payloads may be views into them.
 *
 * @example
 * const stream = new MqttStream();
 * ws.onmessage = (e) => { for (const packet of stream.push(new Uint8Array(e.data))) handle(packet) };
 */
export class MqttStream {
  readonly #role: CodecRole;
  readonly #framer: MqttFramer;
  readonly #parser: PacketParser;
  #version: ProtocolVersion | undefined;
  #failed: MqttProtocolError | undefined;

  /** @param options see {@link MqttStreamOptions} */
  constructor(options: MqttStreamOptions = {}) {
    this.#role = options.role ?? "server";
    this.#version = options.protocolVersion ?? (this.#role === "client" ? 4 : undefined);
    this.#framer = new MqttFramer({
      role: this.#role === "server" ? "server" : "client",
      connected: options.connected ?? false,
      protocolVersion: this.#version,
      maximumPacketSize: options.maximumPacketSize,
    });
    this.#parser = createPacketParser(this.#version);
  }

  /** Protocol version learned from CONNECT (or given), undefined before. */
  get protocolVersion(): ProtocolVersion | undefined {
    return this.#version;
  }

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.#framer.buffered;
  }

  /** Decode every complete packet now available. Throws {@link MqttProtocolError}. */
  push(bytes: Uint8Array): MqttPacket[] {
    if (this.#failed) throw this.#failed;
    const packets: MqttPacket[] = [];
    let frames: Uint8Array[];
    let framing: MqttProtocolError | undefined;
    try {
      frames = this.#framer.push(bytes);
    } catch (e) {
      framing = e as MqttProtocolError;
      frames = framing.frames;
    }
    try {
      for (const frame of frames) packets.push(this.#decode(frame));
      if (framing) throw framing;
    } catch (e) {
      const error = e instanceof MqttProtocolError ? e : malformed(e instanceof Error ? e.message : String(e));
      error.packets = packets;
      error.protocolVersion ??= this.#version;
      this.#failed = error;
      throw error;
    }
    return packets;
  }

  /** Encode for this connection's protocol version (3.1.1 until CONNECT says otherwise). */
  encode(packet: MqttPacket): Uint8Array {
    return encode(packet, this.#version ?? 4);
  }

  #decode(bytes: Uint8Array): MqttPacket {
    const isConnect = bytes[0] >> 4 === CONNECT;
    if (isConnect && this.#role === "server") this.#learnVersion(bytes);
    const version = this.#version ?? 4;
    const packet = (!isConnect && fastDecode(bytes, version)) || fromRaw(this.#parser.parse(bytes), version);
    validatePacket(packet, version, this.#role);
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
    this.#framer.protocolVersion = level;
    this.#parser.protocolVersion = level;
  }
}

/**
 * Encode one packet for `protocolVersion`. v5-only fields are dropped for 3.1/3.1.1.
 * Throws {@link MqttProtocolError} (0x83) if mqtt-packet refuses the packet.
 * @example ws.send(encode({ type: "pingresp" }, 4))
 */
export function encode(packet: MqttPacket, protocolVersion: ProtocolVersion): Uint8Array {
  const fast = fastEncode(packet, protocolVersion);
  if (fast) return fast;
  const tooLong = overlongField(packet);
  if (tooLong) throw new MqttProtocolError(0x83, `cannot encode ${packet.type}: ${tooLong} is longer than the 65,535 bytes its 2-byte length can say`);
  let bytes: Uint8Array;
  try {
    bytes = generate(toRaw(packet, protocolVersion), { protocolVersion });
  } catch (e) {
    throw new MqttProtocolError(0x83, `cannot encode ${packet.type}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The first field of `packet` with a 2-byte length (MQTT §1.5.4, §1.5.6) that is too long for it.
 * mqtt-packet writes such a length modulo 65,536 without a word: a will payload of 100 KB came
 * out as a 42-byte CONNECT.
 */
function overlongField(packet: MqttPacket): string | null {
  const fields: [string, number][] = [];
  if (packet.type === "connect") {
    fields.push(["client id", utf8ByteLength(packet.clientId)], ["user name", utf8ByteLength(packet.username ?? "")], ["password", packet.password?.length ?? 0]);
    if (packet.will) fields.push(["will topic", utf8ByteLength(packet.will.topic)], ["will payload", packet.will.payload.length]);
  } else if (packet.type === "publish") fields.push(["topic", utf8ByteLength(packet.topic)]);
  else if (packet.type === "subscribe") for (const s of packet.subscriptions) fields.push(["topic filter", utf8ByteLength(s.filter)]);
  else if (packet.type === "unsubscribe") for (const f of packet.filters) fields.push(["topic filter", utf8ByteLength(f)]);
  return fields.find(([, n]) => n > 0xffff)?.[0] ?? null;
}

