/**
 * A topic shard's tables: who subscribed to what, retained messages, and
 * the device objects that cache this shard's subscriptions for their own topics.
 */
import type { Message } from "../../protocols/mqtt";
import { topicMatches } from "../../protocols/mqtt/topics";
import { messageRow, rowMessage, type MessageRow } from "../shared/message-rows";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS subscriptions (session TEXT NOT NULL, filter TEXT NOT NULL, PRIMARY KEY (session, filter))`,
  `CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, qos INTEGER NOT NULL, payload BLOB NOT NULL, properties TEXT, expires_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS listeners (device_id TEXT PRIMARY KEY)`,
];

/** One session's subscription to a filter in this shard. */
export type ShardSubscription = {
  session: string;
  filter: string;
};

/** Typed access to a shard's tables. */
export class TopicStore {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    for (const s of SCHEMA) this.sql.exec(s);
  }

  subscriptions(): ShardSubscription[] {
    return this.sql.exec<ShardSubscription>(`SELECT session, filter FROM subscriptions`).toArray();
  }

  addSubscription(session: string, filter: string): boolean {
    return this.sql.exec(`INSERT OR IGNORE INTO subscriptions (session, filter) VALUES (?, ?)`, session, filter).rowsWritten > 0;
  }

  /** Drops one subscription of a session, or all of them when `filter` is null; the filters dropped. */
  removeSubscriptions(session: string, filter: string | null): string[] {
    const rows =
      filter === null
        ? this.sql.exec<{ filter: string }>(`DELETE FROM subscriptions WHERE session = ? RETURNING filter`, session).toArray()
        : this.sql.exec<{ filter: string }>(`DELETE FROM subscriptions WHERE session = ? AND filter = ? RETURNING filter`, session, filter).toArray();
    return rows.map((r) => r.filter);
  }

  /** Sets or, for an empty payload, clears the retained message of a topic [MQTT-3.3.1-6]. */
  setRetained(m: Message): void {
    if (m.payload.byteLength === 0) {
      this.sql.exec(`DELETE FROM retained WHERE topic = ?`, m.topic);
      return;
    }
    const r = messageRow(m);
    this.sql.exec(
      `INSERT INTO retained (topic, qos, payload, properties, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (topic) DO UPDATE SET qos = excluded.qos, payload = excluded.payload, properties = excluded.properties, expires_at = excluded.expires_at`,
      r.topic,
      r.qos,
      r.payload,
      r.properties,
      r.expires_at,
    );
  }

  /** Unexpired retained messages whose topic matches `filter`, flagged retain [MQTT-3.3.2-5]. */
  retainedMatching(filter: string, now: number): Message[] {
    this.sql.exec(`DELETE FROM retained WHERE expires_at IS NOT NULL AND expires_at <= ?`, now);
    return this.sql
      .exec<Omit<MessageRow, "retain" | "origin">>(`SELECT topic, qos, payload, properties, expires_at FROM retained`)
      .toArray()
      .filter((r) => topicMatches(filter, r.topic))
      .map((r) => rowMessage({ ...r, retain: 1, origin: null }));
  }

  listeners(): string[] {
    return this.sql.exec<{ device_id: string }>(`SELECT device_id FROM listeners`).toArray().map((r) => r.device_id);
  }

  addListener(deviceId: string): void {
    this.sql.exec(`INSERT OR IGNORE INTO listeners (device_id) VALUES (?)`, deviceId);
  }

  removeListener(deviceId: string): void {
    this.sql.exec(`DELETE FROM listeners WHERE device_id = ?`, deviceId);
  }

  /** Clears the retained messages of each root's topics (`channels/kitchen`: the topic and all below it). */
  clearRetained(roots: readonly string[]): void {
    for (const root of roots) {
      // By prefix, not LIKE: an id may hold `%` or `_`.
      this.sql.exec(`DELETE FROM retained WHERE topic = ? OR substr(topic, 1, ?) = ?`, root, root.length + 1, `${root}/`);
    }
  }
}
