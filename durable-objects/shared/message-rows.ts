/**
 * MQTT application messages as SQLite rows (outboxes, retained stores): payload as a BLOB,
 * v5 properties as JSON with correlation data in base64, message expiry as epoch ms.
 */
import type { Message, QoS } from "../../protocols/mqtt";

/** A message as a row (as read back: the payload BLOB is an ArrayBuffer). */
export type MessageRow = {
  topic: string;
  qos: number;
  retain: number;
  payload: ArrayBuffer;
  origin: string | null;
  properties: string | null;
  expires_at: number | null;
};

/** A message as a row to write (the payload as the message holds it). */
export type MessageRowIn = Omit<MessageRow, "payload"> & { payload: Uint8Array };

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** A message → its row. */
export function messageRow(m: Message): MessageRowIn {
  let properties: string | null = null;
  if (m.properties) {
    const { correlationData, ...rest } = m.properties;
    properties = JSON.stringify(correlationData ? { ...rest, correlationData: toBase64(correlationData) } : rest);
  }
  return { topic: m.topic, qos: m.qos, retain: m.retain ? 1 : 0, payload: m.payload, origin: m.origin ?? null, properties, expires_at: m.expiresAt ?? null };
}

/** A row → its message. */
export function rowMessage(r: MessageRow): Message {
  const qos = (r.qos === 2 ? 2 : r.qos === 1 ? 1 : 0) as QoS;
  const m: Message = { topic: r.topic, qos, payload: new Uint8Array(r.payload), retain: r.retain === 1 };
  if (r.origin) m.origin = r.origin;
  if (r.expires_at !== null) m.expiresAt = r.expires_at;
  if (r.properties) {
    const props = JSON.parse(r.properties) as Omit<NonNullable<Message["properties"]>, "correlationData"> & { correlationData?: string };
    const { correlationData, ...rest } = props;
    m.properties = correlationData ? { ...rest, correlationData: Uint8Array.from(atob(correlationData), (c) => c.charCodeAt(0)) } : rest;
  }
  return m;
}
