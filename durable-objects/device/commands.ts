/**
 * The device's command queue: one durable, ordered table in its object, shared by every way in
 * (REST, an app's MQTT publish, a rule) and every way out (JSON, MQTT, CoAP). A command moves
 * `queued → delivered → completed | rejected | failed`, or to `expired` when its TTL runs out
 * first; an expired command is never delivered.
 */
import { listPlaceholders } from "../shared/placeholders";
import type { JsonValue } from "../../protocols/json-value";
import type { CommandOutcome } from "../../protocols/device-answers";
import { addColumnIfMissing } from "../shared/add-column";
import { takePage } from "../shared/page";

/** Where a command stands. */
export type CommandStatus = "queued" | "delivered" | "completed" | "rejected" | "failed" | "expired";

/** The statuses a device may report. */
export type { CommandOutcome };

/** One command as stored. */
export interface CommandRecord {
  id: string;
  seq: number;
  name: string;
  payload: JsonValue;
  status: CommandStatus;
  createdAt: number;
  expiresAt: number;
  deliveredAt: number | null;
  completedAt: number | null;
  result: JsonValue | null;
  protocol: string | null;
  /** Rule firings that led to this command (0 when an app queued it): its result carries them on. */
  depth: number;
}

type Row = {
  id: string;
  seq: number;
  name: string;
  payload: string;
  status: string;
  created_at: number;
  expires_at: number;
  delivered_at: number | null;
  completed_at: number | null;
  result: string | null;
  protocol: string | null;
  depth: number;
};

const PENDING = `status IN ('queued', 'delivered')`;

function record(r: Row): CommandRecord {
  return {
    id: r.id,
    seq: r.seq,
    name: r.name,
    payload: JSON.parse(r.payload) as JsonValue,
    status: r.status as CommandStatus,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    deliveredAt: r.delivered_at,
    completedAt: r.completed_at,
    result: r.result === null ? null : (JSON.parse(r.result) as JsonValue),
    protocol: r.protocol,
    depth: r.depth,
  };
}

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(10));
  return `cmd_${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

/** Typed access to the `commands` table (finished commands beyond `keep` are pruned). */
export class CommandStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly keep = 1000,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS commands (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
      payload TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, delivered_at INTEGER,
      completed_at INTEGER, result TEXT, protocol TEXT, depth INTEGER NOT NULL DEFAULT 0)`);
    addColumnIfMissing(sql, "commands", "depth", "INTEGER NOT NULL DEFAULT 0");
    sql.exec(`CREATE INDEX IF NOT EXISTS commands_status ON commands (status, seq)`);
  }

  /** Queues a command; the caller checks the queue's depth first. */
  add(name: string, payload: JsonValue, ttlMs: number, now: number, depth = 0): CommandRecord {
    const id = randomId();
    const row = this.sql
      .exec<Row>(
        `INSERT INTO commands (id, name, payload, status, created_at, expires_at, depth) VALUES (?, ?, ?, 'queued', ?, ?, ?) RETURNING *`,
        id,
        name,
        JSON.stringify(payload),
        now,
        now + ttlMs,
        depth,
      )
      .one();
    return record(row);
  }

  /** Commands not finished yet (queued or delivered). */
  pendingCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM commands WHERE ${PENDING}`).one().n;
  }

  /** Queued commands still within their TTL, oldest first. */
  queued(now: number): CommandRecord[] {
    return this.sql.exec<Row>(`SELECT * FROM commands WHERE status = 'queued' AND expires_at > ? ORDER BY seq`, now).toArray().map(record);
  }

  /** Commands delivered over one of `protocols` and not finished nor expired, oldest first. */
  unanswered(protocols: readonly string[], now: number): CommandRecord[] {
    return this.sql
      .exec<Row>(`SELECT * FROM commands WHERE status = 'delivered' AND protocol IN (${listPlaceholders(protocols.length)}) AND expires_at > ? ORDER BY seq`, ...protocols, now)
      .toArray()
      .map(record);
  }

  get(id: string): CommandRecord | null {
    const r = this.sql.exec<Row>(`SELECT * FROM commands WHERE id = ?`, id).toArray()[0];
    return r ? record(r) : null;
  }

  /** A page of commands, newest first, optionally of one status; `before` is a seq cursor. */
  /** A page, newest first, up to `limit` and the page budget (takePage): whether more remain. */
  list(status: CommandStatus | null, limit: number, before: number | null): { rows: CommandRecord[]; more: boolean } {
    const b = before ?? Number.MAX_SAFE_INTEGER;
    const rows =
      status === null
        ? this.sql.exec<Row>(`SELECT * FROM commands WHERE seq < ? ORDER BY seq DESC LIMIT ?`, b, limit + 1)
        : this.sql.exec<Row>(`SELECT * FROM commands WHERE status = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, status, b, limit + 1);
    const page = takePage(rows, limit, (r) => r.payload.length + (r.result?.length ?? 0));
    return { rows: page.rows.map(record), more: page.more };
  }

  /** Marks queued commands delivered (over `protocol`); returns those it changed. */
  delivered(ids: readonly string[], protocol: string, now: number): CommandRecord[] {
    const out: CommandRecord[] = [];
    for (const id of ids) {
      const r = this.sql.exec<Row>(`UPDATE commands SET status = 'delivered', delivered_at = ?, protocol = ? WHERE id = ? AND status = 'queued' RETURNING *`, now, protocol, id).toArray()[0];
      if (r) out.push(record(r));
    }
    return out;
  }

  /**
   * Puts commands delivered over `protocol` and not answered back in the queue (oldest first): the
   * session that held them is gone, so they go out again with the next delivery. Returns them.
   */
  requeue(protocol: string, now: number): CommandRecord[] {
    return this.sql
      .exec<Row>(`UPDATE commands SET status = 'queued', delivered_at = NULL, protocol = NULL WHERE status = 'delivered' AND protocol = ? AND expires_at > ? RETURNING *`, protocol, now)
      .toArray()
      .map(record)
      .sort((a, b) => a.seq - b.seq);
  }

  /**
   * Records the device's outcome of a pending command (a result for a command it never got is
   * taken too: it may have been delivered just before a restart). Null when the command is
   * unknown or already finished.
   */
  finish(id: string, status: CommandOutcome, result: JsonValue | null, now: number): CommandRecord | null {
    const r = this.sql
      .exec<Row>(
        `UPDATE commands SET status = ?, result = ?, completed_at = ?, delivered_at = COALESCE(delivered_at, ?) WHERE id = ? AND ${PENDING} RETURNING *`,
        status,
        result === null ? null : JSON.stringify(result),
        now,
        now,
        id,
      )
      .toArray()[0];
    if (r) this.prune();
    return r ? record(r) : null;
  }

  /** Expires pending commands whose TTL ran out; returns them. */
  expire(now: number): CommandRecord[] {
    const rows = this.sql.exec<Row>(`UPDATE commands SET status = 'expired', completed_at = ? WHERE ${PENDING} AND expires_at <= ? RETURNING *`, now, now).toArray();
    if (rows.length) this.prune();
    return rows.map(record).sort((a, b) => a.seq - b.seq);
  }

  /** When the next pending command expires, or null. */
  nextExpiry(): number | null {
    return this.sql.exec<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM commands WHERE ${PENDING}`).one().t;
  }

  private prune(): void {
    this.sql.exec(`DELETE FROM commands WHERE NOT (${PENDING}) AND seq <= (SELECT seq FROM commands WHERE NOT (${PENDING}) ORDER BY seq DESC LIMIT 1 OFFSET ?)`, this.keep);
  }
}
