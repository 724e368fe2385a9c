/**
 * Hand-written decoding and encoding of the packets that make up steady traffic: PUBLISH
 * (decoded without MQTT 5 properties, encoded with them) and the four acknowledgements without
 * properties. Profiles of
 * the hub under load put mqtt-packet's general parser and generator (Buffer lists, object
 * building, concatenation) among the top costs per message; these few shapes are byte
 * arithmetic.
 *
 * Both functions answer `undefined` for anything outside their shapes or anything
 * irregular (a QoS of 3, a length that does not add up, a string that is not well-formed
 * UTF-8 or holds U+0000): the general codec then decodes it and raises the protocol-correct
 * error, so errors have one source. Property tests check that both paths agree on every
 * input (codec-fast.test.ts).
 */
import type { AckPacket, MqttPacket, ProtocolVersion, PublishPacket, QoS } from "./packets";
import { publishProperties } from "./codec-publish-properties";
import { varint } from "./varint";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
const NO_PROPERTIES = Uint8Array.of(0);

const ACK_BY_HEADER: Readonly<Record<number, AckPacket<"puback" | "pubrec" | "pubrel" | "pubcomp">["type"]>> = {
  0x40: "puback",
  0x50: "pubrec",
  0x62: "pubrel",
  0x70: "pubcomp",
};
const HEADER_BY_ACK = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

/** One complete packet (fixed header included) → the typed packet, or undefined for the general codec. */
export function fastDecode(bytes: Uint8Array, version: ProtocolVersion): MqttPacket | undefined {
  const first = bytes[0];
  if (first >> 4 === 3) return publish(bytes, version);
  const ack = ACK_BY_HEADER[first];
  if (ack === undefined || bytes.length !== 4 || bytes[1] !== 2) return undefined;
  const packet: AckPacket<typeof ack> = { type: ack, packetId: (bytes[2] << 8) | bytes[3] };
  if (version === 5) packet.reasonCode = 0;
  return packet;
}

function publish(bytes: Uint8Array, version: ProtocolVersion): PublishPacket | undefined {
  const flags = bytes[0] & 0x0f;
  const qos = (flags >> 1) & 3;
  if (qos === 3) return undefined;
  // Remaining length: the framer delivers exactly one packet; bytes that say otherwise (a length
  // that is not the rest of them) go to the general codec, which names what is wrong.
  let pos = 1;
  let remaining = 0;
  for (let scale = 1; pos < 5; scale *= 128) {
    const b = bytes[pos++] ?? 0;
    remaining += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) break;
  }
  if (remaining !== bytes.length - pos || pos + 2 > bytes.length) return undefined;
  const topicLength = (bytes[pos] << 8) | bytes[pos + 1];
  pos += 2;
  const topicEnd = pos + topicLength;
  if (topicEnd > bytes.length) return undefined;
  let topic: string;
  try {
    topic = utf8.decode(bytes.subarray(pos, topicEnd));
  } catch {
    return undefined;
  }
  if (topic.includes("\u0000")) return undefined;
  pos = topicEnd;
  let packetId: number | undefined;
  if (qos > 0) {
    if (pos + 2 > bytes.length) return undefined;
    packetId = (bytes[pos] << 8) | bytes[pos + 1];
    pos += 2;
  }
  if (version === 5) {
    // Only an empty property list (one zero byte) stays on the fast path.
    if (bytes[pos] !== 0 || pos >= bytes.length) return undefined;
    pos++;
  }
  const packet: PublishPacket = { type: "publish", topic, payload: bytes.subarray(pos), qos: qos as QoS, retain: (flags & 1) === 1, dup: (flags & 8) === 8 };
  if (packetId !== undefined) packet.packetId = packetId;
  return packet;
}

/** The packet's bytes for `version`, or undefined when the general encoder must write it. */
export function fastEncode(packet: MqttPacket, version: ProtocolVersion): Uint8Array | undefined {
  switch (packet.type) {
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp": {
      if (packet.properties !== undefined || packet.packetId < 1 || packet.packetId > 0xffff) return undefined;
      const reason = version === 5 ? (packet.reasonCode ?? 0) : 0;
      const id = packet.packetId;
      // v5 §3.4.2.1: reason 0 without properties may be left out
      return reason === 0 ? Uint8Array.of(HEADER_BY_ACK[packet.type], 2, id >> 8, id & 0xff) : Uint8Array.of(HEADER_BY_ACK[packet.type], 3, id >> 8, id & 0xff, reason);
    }
    case "publish":
      return encodePublish(packet, version);
    default:
      return undefined;
  }
}

function encodePublish(packet: PublishPacket, version: ProtocolVersion): Uint8Array | undefined {
  const { qos, packetId } = packet;
  if (qos > 0 && (packetId === undefined || packetId < 1 || packetId > 0xffff)) return undefined;
  const topic = encoder.encode(packet.topic);
  if (topic.length > 0xffff) return undefined;
  const properties = version !== 5 ? undefined : packet.properties === undefined ? NO_PROPERTIES : publishProperties(packet.properties);
  if (version === 5 && properties === undefined) return undefined;
  const remaining = 2 + topic.length + (qos > 0 ? 2 : 0) + (properties?.length ?? 0) + packet.payload.length;
  if (remaining > 268_435_455) return undefined;
  const length = varint(remaining);
  const out = new Uint8Array(1 + length.length + remaining);
  out[0] = 0x30 | (packet.dup ? 8 : 0) | (qos << 1) | (packet.retain ? 1 : 0);
  out.set(length, 1);
  let pos = 1 + length.length;
  out[pos++] = topic.length >> 8;
  out[pos++] = topic.length & 0xff;
  out.set(topic, pos);
  pos += topic.length;
  if (qos > 0) {
    out[pos++] = packetId! >> 8;
    out[pos++] = packetId! & 0xff;
  }
  if (properties !== undefined) {
    out.set(properties, pos);
    pos += properties.length;
  }
  out.set(packet.payload, pos);
  return out;
}
