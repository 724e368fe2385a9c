/** A channel's tables: subscribers and retained messages. */
import type { Message } from "../../protocols/mqtt";
import { topicMatches } from "../../protocols/mqtt/topics";
import type { Subscriber } from "./fanout";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS subscribers (device_id TEXT NOT NULL, filter TEXT NOT NULL, PRIMARY KEY (device_id, filter))`,
  `CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, qos INTEGER NOT NULL, payload BLOB NOT NULL, properties TEXT)`,
];

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
      m.properties ? JSON.stringify({ ...m.properties, correlationData: undefined }) : null,
    );
  }

  /** Retained messages whose topic matches `filter`, flagged retain. */
  retainedMatching(filter: string): Message[] {
    return this.sql
      .exec<{ topic: string; qos: number; payload: ArrayBuffer; properties: string | null }>(`SELECT topic, qos, payload, properties FROM retained`)
      .toArray()
      .filter((r) => topicMatches(filter, r.topic))
      .map((r) => ({
        topic: r.topic,
        qos: (r.qos === 2 ? 2 : r.qos === 1 ? 1 : 0) as Message["qos"],
        payload: new Uint8Array(r.payload),
        retain: true,
        ...(r.properties ? { properties: JSON.parse(r.properties) as Message["properties"] } : {}),
      }));
  }
}
