/**
 * A webhook object's tables: small settings (`meta`) and one `events` table that is both the
 * durable outbox (rows `pending`) and the delivery log (rows `delivered` or `failed`, the last
 * LOG_KEEP kept, their bodies cleared). The outbox is bounded: past OUTBOX_MAX pending events
 * the oldest are dropped and counted, never refused — a refusal would make the publishing
 * device's object retry the whole batch for every other subscriber too.
 */
import { listPlaceholders } from "../shared/placeholders";
import { addColumnIfMissing } from "../shared/add-column";

/** Pending events kept at most; older ones are dropped (counted in `dropped`). */
export const OUTBOX_MAX = 10_000;
/** Finished events kept in the delivery log. */
export const LOG_KEEP = 1_000;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, type TEXT NOT NULL,
     device_id TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL, next_at INTEGER, last_status INTEGER, last_error TEXT, delivered_at INTEGER,
     leased INTEGER NOT NULL DEFAULT 0)`,
  `CREATE INDEX IF NOT EXISTS events_pending_seq ON events (seq) WHERE state = 'pending'`,
  `CREATE INDEX IF NOT EXISTS events_pending_next ON events (next_at) WHERE state = 'pending'`,
];

/** An event as stored. */
export type EventRow = {
  seq: number;
  id: string;
  type: string;
  device_id: string;
  body: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  created_at: number;
  next_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
};

/** A new event for the outbox. */
export interface NewEvent {
  id: string;
  type: string;
  deviceId: string;
  body: string;
}

/** Typed access to a webhook object's tables. */
export class WebhookStore {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    for (const s of SCHEMA) this.sql.exec(s);
    // Stores made before leases were marked.
    addColumnIfMissing(this.sql, "events", "leased", "INTEGER NOT NULL DEFAULT 0");
  }

  getMeta<T>(key: string): T | null {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  setMeta(key: string, value: unknown): void {
    this.sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, JSON.stringify(value));
  }

  /** Writes events as pending, due now; drops the oldest pending past OUTBOX_MAX. Returns how many were dropped. */
  enqueue(events: readonly NewEvent[], now: number): number {
    for (const e of events) {
      this.sql.exec(`INSERT INTO events (id, type, device_id, body, state, created_at, next_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`, e.id, e.type, e.deviceId, e.body, now, now);
    }
    const over = this.pendingCount() - OUTBOX_MAX;
    if (over <= 0) return 0;
    this.sql.exec(`DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE state = 'pending' ORDER BY seq LIMIT ?)`, over);
    return over;
  }

  pendingCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE state = 'pending'`).one().n;
  }

  /** The oldest pending events due by `now`, except those in `skip` (in flight). */
  due(now: number, limit: number, skip: ReadonlySet<number>): EventRow[] {
    const out: EventRow[] = [];
    const rows = this.sql.exec<EventRow>(`SELECT * FROM events WHERE state = 'pending' AND next_at <= ? ORDER BY seq LIMIT ?`, now, limit + skip.size);
    for (const r of rows) if (!skip.has(r.seq) && out.length < limit) out.push(r);
    return out;
  }

  /** When the next pending event not in `skip` is due, or null. */
  nextDue(skip: ReadonlySet<number>): number | null {
    const ids = [...skip];
    const not = ids.length ? ` AND seq NOT IN (${listPlaceholders(ids.length)})` : "";
    return this.sql.exec<{ t: number | null }>(`SELECT MIN(next_at) AS t FROM events WHERE state = 'pending'${not}`, ...ids).one().t;
  }

  /** Holds events being sent until `until`: if the object dies mid-send, the alarm sends them again then. */
  lease(seqs: readonly number[], until: number): void {
    if (seqs.length) this.sql.exec(`UPDATE events SET next_at = ?, leased = 1 WHERE state = 'pending' AND seq IN (${listPlaceholders(seqs.length)})`, until, ...seqs);
  }

  /**
   * Makes events leased by an earlier life of the object due `now`: at its start nothing is in
   * flight, so their attempts died with it (a crash, a restart) and need not wait out the lease.
   */
  releaseLeases(now: number): void {
    this.sql.exec(`UPDATE events SET next_at = ?, leased = 0 WHERE state = 'pending' AND leased = 1`, now);
  }

  /**
   * Makes every pending event waiting for a later retry due `now`: a webhook enabled again sends
   * its backlog at once rather than when each event's backoff (up to an hour) would have.
   */
  dueNow(now: number): void {
    this.sql.exec(`UPDATE events SET next_at = ? WHERE state = 'pending' AND next_at > ?`, now, now);
  }

  /** Records a 2xx (`status`) for each of `seqs`. */
  delivered(seqs: readonly number[], status: number, now: number): void {
    if (seqs.length === 0) return;
    this.sql.exec(
      `UPDATE events SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, next_at = NULL, delivered_at = ?, body = '' WHERE seq IN (${listPlaceholders(seqs.length)})`,
      status,
      now,
      ...seqs,
    );
  }

  /** Records a failed attempt: tried again at `next`, or given up (`next` null). */
  failed(seq: number, status: number | null, error: string, next: number | null): void {
    if (next === null) {
      this.sql.exec(`UPDATE events SET state = 'failed', attempts = attempts + 1, last_status = ?, last_error = ?, next_at = NULL, body = '' WHERE seq = ?`, status, error, seq);
    } else {
      this.sql.exec(`UPDATE events SET attempts = attempts + 1, last_status = ?, last_error = ?, next_at = ?, leased = 0 WHERE seq = ?`, status, error, next, seq);
    }
  }

  /** Gives up a pending event without an attempt (it outlived its horizon while the webhook was disabled). */
  expire(seq: number, why: string): void {
    this.sql.exec(`UPDATE events SET state = 'failed', last_error = ?, next_at = NULL, body = '' WHERE seq = ?`, why, seq);
  }

  /** Keeps the last LOG_KEEP finished events. */
  pruneLog(): void {
    this.sql.exec(
      `DELETE FROM events WHERE state != 'pending' AND seq <= (SELECT seq FROM events WHERE state != 'pending' ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      LOG_KEEP,
    );
  }

  /** Events newest first, before `before` (a seq; null: from the newest). */
  page(before: number | null, limit: number): EventRow[] {
    return this.sql.exec<EventRow>(`SELECT * FROM events WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before ?? Number.MAX_SAFE_INTEGER, limit).toArray();
  }
}
