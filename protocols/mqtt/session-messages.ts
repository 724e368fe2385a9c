/**
 * Conversions between wire packets, host messages and the JSON forms kept in
 * session state.
 */
import { Buffer } from "node:buffer";
import type { MessageProperties, ProtocolVersion, PublishPacket, QoS, Will } from "./packets";
import type { Message, MessageAttributes, StoredAttributes, StoredMessage, StoredWill } from "./session-types";

/** Bytes → base64 (the JSON form of payloads in state). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** base64 → bytes. */
export function fromBase64(text: string): Uint8Array {
  const b = Buffer.from(text, "base64");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Keep only end-to-end attributes of PUBLISH/Will properties (no alias, no expiry). */
export function attributesOf(p: MessageProperties | undefined): MessageAttributes | undefined {
  if (p === undefined) return undefined;
  const a: MessageAttributes = {};
  if (p.payloadFormatIndicator !== undefined) a.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.contentType !== undefined) a.contentType = p.contentType;
  if (p.responseTopic !== undefined) a.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) a.correlationData = p.correlationData;
  if (p.userProperties !== undefined) a.userProperties = p.userProperties;
  return Object.keys(a).length > 0 ? a : undefined;
}

function storeAttributes(a: MessageAttributes | undefined): StoredAttributes | undefined {
  if (a === undefined) return undefined;
  const { correlationData, ...rest } = a;
  return correlationData === undefined ? rest : { ...rest, correlationData: toBase64(correlationData) };
}

function loadAttributes(a: StoredAttributes | undefined): MessageAttributes | undefined {
  if (a === undefined) return undefined;
  const { correlationData, ...rest } = a;
  return correlationData === undefined ? rest : { ...rest, correlationData: fromBase64(correlationData) };
}

/** An inbound PUBLISH (topic resolved from its alias) as a host message. */
export function messageFromPublish(p: PublishPacket, topic: string, clientId: string, now: number): Message {
  const m: Message = { topic, payload: p.payload, qos: p.qos, retain: p.retain, origin: clientId };
  const expiry = p.properties?.messageExpiryInterval;
  if (expiry !== undefined) m.expiresAt = now + expiry * 1000;
  const attributes = attributesOf(p.properties);
  if (attributes) m.properties = attributes;
  return m;
}

/** The Will of a CONNECT in state form. */
export function storeWill(w: Will, v5: boolean): StoredWill {
  const stored: StoredWill = { topic: w.topic, payload: toBase64(w.payload), qos: w.qos, retain: w.retain, delay: 0 };
  if (!v5) return stored;
  if (w.properties?.willDelayInterval !== undefined) stored.delay = w.properties.willDelayInterval;
  if (w.properties?.messageExpiryInterval !== undefined) stored.expiryInterval = w.properties.messageExpiryInterval;
  const attributes = storeAttributes(attributesOf(w.properties));
  if (attributes) stored.properties = attributes;
  return stored;
}

/** The Will as a message published now. */
export function willMessage(w: StoredWill, clientId: string, now: number): Message {
  const m: Message = { topic: w.topic, payload: fromBase64(w.payload), qos: w.qos, retain: w.retain, origin: clientId };
  if (w.expiryInterval !== undefined) m.expiresAt = now + w.expiryInterval * 1000;
  const attributes = loadAttributes(w.properties);
  if (attributes) m.properties = attributes;
  return m;
}

/** How a message goes to one session: the resolved QoS, retain flag and subscription ids. */
export interface Delivery {
  qos: QoS;
  retain: boolean;
  subscriptionIdentifiers: number[];
}

/** A message resolved for this session, in state form. */
export function storeMessage(m: Message, d: Delivery): StoredMessage {
  const s: StoredMessage = { topic: m.topic, payload: toBase64(m.payload), qos: d.qos, retain: d.retain };
  if (m.expiresAt !== undefined) s.expiresAt = m.expiresAt;
  if (d.subscriptionIdentifiers.length > 0) s.subscriptionIdentifiers = d.subscriptionIdentifiers;
  const attributes = storeAttributes(m.properties);
  if (attributes) s.properties = attributes;
  return s;
}

/**
 * Build an outbound PUBLISH. The Message Expiry Interval sent is what remains
 * (§3.3.2.3.3), at least 1 s for a resend of a message already in flight.
 */
export function buildPublish(
  m: Pick<Message, "topic" | "payload" | "expiresAt" | "properties">,
  d: Delivery,
  packetId: number | undefined,
  dup: boolean,
  version: ProtocolVersion,
  now: number,
): PublishPacket {
  const packet: PublishPacket = { type: "publish", topic: m.topic, payload: m.payload, qos: d.qos, retain: d.retain, dup };
  if (d.qos > 0) packet.packetId = packetId;
  if (version !== 5) return packet;
  const props: PublishPacket["properties"] = { ...m.properties };
  if (m.expiresAt !== undefined) props.messageExpiryInterval = Math.max(1, Math.ceil((m.expiresAt - now) / 1000));
  if (d.subscriptionIdentifiers.length > 0) props.subscriptionIdentifiers = d.subscriptionIdentifiers;
  if (Object.keys(props).length > 0) packet.properties = props;
  return packet;
}

/** {@link buildPublish} from a stored message. */
export function publishFromStored(s: StoredMessage, packetId: number, dup: boolean, version: ProtocolVersion, now: number): PublishPacket {
  const m = { topic: s.topic, payload: fromBase64(s.payload), expiresAt: s.expiresAt, properties: loadAttributes(s.properties) };
  return buildPublish(m, { qos: s.qos, retain: s.retain, subscriptionIdentifiers: s.subscriptionIdentifiers ?? [] }, packetId, dup, version, now);
}
