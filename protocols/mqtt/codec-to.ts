/**
 * Typed {@link MqttPacket}s → mqtt-packet's input objects for `generate`.
 *
 * mqtt-packet writes binary fields only when they are Node Buffers (a plain
 * Uint8Array crashes its accumulator), so every byte field is wrapped as a Buffer
 * view (no copy). User properties become its grouped record; names that repeat
 * are written together. PUBLISH, whose User Properties must keep their order
 * [MQTT-3.3.2-18], is written by codec-fast.ts instead.
 */
import type { Packet, UserProperties as RawUserProperties } from "mqtt-packet";
import { Buffer } from "node:buffer";
import type { MqttPacket, ProtocolVersion, UserProperties } from "./packets";

function buf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function userProps(pairs: UserProperties): RawUserProperties {
  // A null prototype keeps a property named "__proto__" an ordinary key.
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of pairs) {
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

/** Copy v5 properties, converting bytes and user properties; undefined if empty. */
function props<T>(p: object | undefined, v5: boolean): T | undefined {
  if (!v5 || p === undefined) return undefined;
  const out: Record<string, unknown> = {};
  let found = false;
  for (const [name, value] of Object.entries(p)) {
    if (value === undefined) continue;
    found = true;
    if (name === "userProperties") out[name] = userProps(value as UserProperties);
    else if (name === "subscriptionIdentifiers") out.subscriptionIdentifier = value;
    else if (value instanceof Uint8Array) out[name] = buf(value);
    else out[name] = value;
  }
  return found ? (out as T) : undefined;
}

/**
 * Build mqtt-packet's object for `packet`. The properties objects are typed by
 * their wire form, which is what mqtt-packet's declarations describe.
 */
export function toRaw(packet: MqttPacket, version: ProtocolVersion): Packet {
  const v5 = version === 5;
  switch (packet.type) {
    case "connect": {
      const w = packet.will;
      return {
        cmd: "connect",
        protocolId: packet.protocolId,
        protocolVersion: packet.protocolVersion,
        clientId: packet.clientId,
        clean: packet.clean,
        keepalive: packet.keepAlive,
        username: packet.username,
        password: packet.password && buf(packet.password),
        will: w && { topic: w.topic, payload: buf(w.payload), qos: w.qos, retain: w.retain, properties: props(w.properties, packet.protocolVersion === 5) },
        properties: props(packet.properties, packet.protocolVersion === 5),
      };
    }
    case "connack":
      return { cmd: "connack", sessionPresent: packet.sessionPresent, returnCode: packet.reasonCode, reasonCode: packet.reasonCode, properties: props(packet.properties, v5) };
    case "publish":
      return {
        cmd: "publish",
        topic: packet.topic,
        payload: buf(packet.payload),
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        messageId: packet.packetId,
        properties: props(packet.properties, v5),
      };
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return { cmd: packet.type, messageId: packet.packetId, reasonCode: packet.reasonCode ?? 0, properties: props(packet.properties, v5) };
    case "subscribe":
      return {
        cmd: "subscribe",
        messageId: packet.packetId,
        subscriptions: packet.subscriptions.map((s) => ({ topic: s.filter, qos: s.qos, nl: s.noLocal, rap: s.retainAsPublished, rh: s.retainHandling })),
        properties: props(packet.properties, v5),
      };
    case "suback":
      return { cmd: "suback", messageId: packet.packetId, granted: packet.reasonCodes, properties: props(packet.properties, v5) };
    case "unsubscribe":
      return { cmd: "unsubscribe", messageId: packet.packetId, unsubscriptions: packet.filters, properties: props(packet.properties, v5) };
    case "unsuback":
      return { cmd: "unsuback", messageId: packet.packetId, granted: packet.reasonCodes, properties: props(packet.properties, v5) };
    case "pingreq":
    case "pingresp":
      return { cmd: packet.type };
    case "disconnect":
      return { cmd: "disconnect", reasonCode: packet.reasonCode ?? 0, properties: props(packet.properties, v5) };
    case "auth":
      return { cmd: "auth", reasonCode: packet.reasonCode, properties: props(packet.properties, v5) };
  }
}
