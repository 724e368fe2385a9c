/** A channel's tables: subscribers and retained messages. */
import type { Message } from "../../protocols/mqtt";
import { topicMatches } from "../../protocols/mqtt/topics";
import type { Subscriber } from "./fanout";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS subscribers (device_id TEXT NOT NULL, filter TEXT NOT NULL, PRIMARY KEY (device_id, filter))`,
  `CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, qos INTEGER NOT NULL, payload BLOB NOT NULL, properties TEXT)`,
  `CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, qos INTEGER NOT NULL, payload BLOB NOT NULL, origin TEXT, properties TEXT)`,
];

type Row = { topic: string; qos: number; payload: ArrayBuffer; properties: string | null };

function toMessage(r: Row, retain: boolean): Message {
  const base: Message = { topic: r.topic, qos: (r.qos === 2 ? 2 : r.qos === 1 ? 1 : 0) as Message["qos"], payload: new Uint8Array(r.payload), retain };
  if (!r.properties) return base;
  const props = JSON.parse(r.properties) as Omit<NonNullable<Message["properties"]>, "correlationData"> & { correlationData?: string };
  const { correlationData, ...rest } = props;
  return { ...base, properties: correlationData ? { ...rest, correlationData: Uint8Array.from(atob(correlationData), (c) => c.charCodeAt(0)) } : rest };
}

/** Message properties as stored: correlation data (bytes) as base64. */
function propertiesText(m: Message): string | null {
  if (!m.properties) return null;
  const { correlationData, ...rest } = m.properties;
  return JSON.stringify(correlationData ? { ...rest, correlationData: btoa(String.fromCharCode(...correlationData)) } : rest);
}

/** Typed access to a channel's tables. */
export class ChannelStore {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    for (const s of SCHEMA) this.sql.exec(s);
  }

  subscribers(): Subscriber[] {
    return this.sql.exec<{ device_id: string; filter: string }>(`SELECT device_id, filter FROM subscribers`).toArray().map((r) => ({ deviceId: r.device_id, filter: r.filter }));
  }

  addSubscriber(deviceId: string, filter: string): void {
    this.sql.exec(`INSERT OR IGNORE INTO subscribers (device_id, filter) VALUES (?, ?)`, deviceId, filter);
  }

  removeSubscriber(deviceId: string, filter: string | null): void {
    if (filter === null) this.sql.exec(`DELETE FROM subscribers WHERE device_id = ?`, deviceId);
    else this.sql.exec(`DELETE FROM subscribers WHERE device_id = ? AND filter = ?`, deviceId, filter);
  }

  /** Sets or, for an empty payload, clears the retained message of a topic [MQTT-3.3.1-6]. */
  setRetained(m: Message): void {
    if (m.payload.byteLength === 0) {
      this.sql.exec(`DELETE FROM retained WHERE topic = ?`, m.topic);
      return;
    }
    this.sql.exec(
      `INSERT INTO retained (topic, qos, payload, properties) VALUES (?, ?, ?, ?)
       ON CONFLICT (topic) DO UPDATE SET qos = excluded.qos, payload = excluded.payload, properties = excluded.properties`,
      m.topic,
      m.qos,
      m.payload,
      propertiesText(m),
    );
  }

  /** Retained messages whose topic matches `filter`, flagged retain. */
  retainedMatching(filter: string): Message[] {
    return this.sql
      .exec<Row>(`SELECT topic, qos, payload, properties FROM retained`)
      .toArray()
      .filter((r) => topicMatches(filter, r.topic))
      .map((r) => toMessage(r, true));
  }

  /** Appends a message to the fan-out outbox. */
  enqueue(m: Message): void {
    this.sql.exec(`INSERT INTO outbox (topic, qos, payload, origin, properties) VALUES (?, ?, ?, ?, ?)`, m.topic, m.qos, m.payload, m.origin ?? null, propertiesText(m));
  }

  /** The oldest messages still to fan out, in order (up to `limit`). */
  oldest(limit: number): { seq: number; message: Message }[] {
    return this.sql
      .exec<Row & { seq: number; origin: string | null }>(`SELECT seq, topic, qos, payload, origin, properties FROM outbox ORDER BY seq LIMIT ?`, limit)
      .toArray()
      .map((r) => {
        const message = toMessage(r, false);
        return { seq: r.seq, message: r.origin ? { ...message, origin: r.origin } : message };
      });
  }

  /** How many messages wait in the outbox. */
  outboxSize(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox`).one().n;
  }

  /** Drops every outbox message up to `seq` (they reached all their subscribers). */
  dequeueThrough(seq: number): void {
    this.sql.exec(`DELETE FROM outbox WHERE seq <= ?`, seq);
  }
}
