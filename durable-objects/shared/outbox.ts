/**
 * A durable outbox of MQTT messages and its drain to subscriber sessions, shared by topic
 * shards and by device objects (which publish their own topics). Messages are written in the
 * caller's transaction, so an acknowledgement that follows the write follows durability; the
 * drain sends each batch to every session that wants part of it, one call per session per
 * batch, in order, and a batch leaves the outbox only once every session took its part (at
 * least once; a failure is retried from the object's alarm).
 */
import type { Message } from "../../protocols/mqtt";
import { messageRow, rowMessage, type MessageRow } from "./message-rows";
import { rowPlaceholders } from "./placeholders";
import { lastSequence } from "./sqlite-sequence";

/** How long delivered rows may wait for a write to delete them with (see {@link OutboxDrain}). */
const DELETE_DELAY_MS = 1_000;

/** Messages per INSERT: eight parameters each, under the limit of 100. */
const ENQUEUE_CHUNK = 12;

/** A stored message and its place in the outbox. */
export interface OutboxEntry {
  seq: number;
  message: Message;
}

/** One outbox table. */
export class Outbox {
  /**
   * The last sequence number handed out (null: not read yet). Numbers come from here, not from
   * AUTOINCREMENT, so the caller knows them without reading back; a rolled-back INSERT leaves a
   * gap, never a number given twice.
   */
  private lastSeq: number | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly table: string,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, qos INTEGER NOT NULL,
      retain INTEGER NOT NULL, payload BLOB NOT NULL, origin TEXT, properties TEXT, expires_at INTEGER)`);
  }

  /** Stores messages (in the caller's transaction) and returns them with their sequence numbers. */
  enqueue(messages: readonly Message[]): OutboxEntry[] {
    let seq = (this.lastSeq ??= lastSequence(this.sql, this.table));
    const entries: OutboxEntry[] = [];
    // One multi-row INSERT per chunk: statements, not rows, are the cost.
    for (let i = 0; i < messages.length; i += ENQUEUE_CHUNK) {
      const chunk = messages.slice(i, i + ENQUEUE_CHUNK);
      const params: (string | number | Uint8Array | null)[] = [];
      for (const m of chunk) {
        const r = messageRow(m);
        params.push(++seq, r.topic, r.qos, r.retain, r.payload, r.origin, r.properties, r.expires_at);
        entries.push({ seq, message: m });
      }
      this.lastSeq = seq;
      this.sql.exec(`INSERT INTO ${this.table} (seq, topic, qos, retain, payload, origin, properties, expires_at) VALUES ${rowPlaceholders(chunk.length, 8)}`, ...params);
    }
    return entries;
  }

  /** The oldest messages after `after` still to send, in order (up to `limit`). */
  oldest(limit: number, after = 0): OutboxEntry[] {
    return this.sql
      .exec<MessageRow & { seq: number }>(`SELECT seq, topic, qos, retain, payload, origin, properties, expires_at FROM ${this.table} WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
      .toArray()
      .map((r) => ({ seq: r.seq, message: rowMessage(r) }));
  }

  /** How many messages after `after` are stored. */
  size(after = 0): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${this.table} WHERE seq > ?`, after).one().n;
  }

  /** Drops every message up to `seq` (each reached all its sessions). */
  dequeueThrough(seq: number): void {
    this.sql.exec(`DELETE FROM ${this.table} WHERE seq <= ?`, seq);
  }
}

/** What a drain needs from its object. */
export interface DrainHost {
  /** The sessions a message goes to (each once). */
  sessionsFor(message: Message): Iterable<string>;
  /** Hands a batch to one session; rejects when it could not. */
  deliver(session: string, messages: Message[]): Promise<void>;
  /** Arms the object's alarm to retry after a failure. */
  retryLater(): Promise<void>;
  /** Logs a failed delivery (already escaped). */
  failed(session: string, err: unknown): void;
}

/** A message as the drain keeps it: its own copy of the payload, not a view into a larger frame (an RPC would copy the whole buffer). */
function ownCopy(m: Message): Message {
  return m.payload.byteOffset === 0 && m.payload.byteLength === m.payload.buffer.byteLength ? m : { ...m, payload: m.payload.slice() };
}

/** Limits of a drain: batch size, and the backlog past which publishers wait. */
export interface DrainLimits {
  batch: number;
  highWater: number;
  lowWater: number;
}

/**
 * Drains an outbox. `push` writes messages (synchronously, in the caller's transaction) and
 * starts a drain; it resolves at once unless the backlog is past the high-water mark, when it
 * waits for the drain to catch up: that is the publishers' backpressure.
 */
export class OutboxDrain {
  private draining = false;
  private backlog: number | null = null;
  private readonly waiting: (() => void)[] = [];
  /**
   * Rows through `delivered` reached every session; through `deleted` they are gone. The DELETE
   * rides on the next write ({@link push}, inside the caller's transaction) rather than costing a
   * commit of its own after each delivery, or runs {@link DELETE_DELAY_MS} later when no write
   * comes. Rows delivered but not yet deleted when the object stops are delivered again after
   * it starts: at least once, as QoS 1 promises, never lost.
   */
  private delivered = 0;
  private deleted = 0;
  private deleteTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Every row after `delivered`, as written by {@link push} (null: unknown, read the table). The
   * drain reads the table only when this is unknown: after a start, a failed write, or a backlog
   * past the high-water mark. A write that wrote rows and then failed is rolled back, so its
   * caller must say so ({@link rolledBack}) or its messages would go out although never stored.
   */
  private tail: OutboxEntry[] | null = null;

  constructor(
    readonly outbox: Outbox,
    private readonly host: DrainHost,
    private readonly limits: DrainLimits = { batch: 256, highWater: 2048, lowWater: 512 },
  ) {}

  /** Enqueues messages (synchronously) and drains; the promise is the backpressure wait. */
  push(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const tail = this.tail;
    this.tail = null;
    const entries = this.outbox.enqueue(messages);
    if (tail && tail.length + entries.length <= this.limits.highWater) {
      for (const e of entries) tail.push({ seq: e.seq, message: ownCopy(e.message) });
      this.tail = tail;
    }
    this.settle();
    this.backlog = (this.backlog ?? this.outbox.size(this.delivered) - messages.length) + messages.length;
    void this.drain();
    if (this.backlog <= this.limits.highWater) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Sends what the outbox holds, batch by batch (also from the alarm after an eviction). */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // Let the current event finish first: the batch gathers what it adds meanwhile.
      await Promise.resolve();
      for (;;) {
        const tail = this.tail;
        const batch = tail ? tail.slice(0, this.limits.batch) : this.outbox.oldest(this.limits.batch, this.delivered);
        if (batch.length === 0) {
          this.backlog = 0;
          // The table holds nothing after `delivered`: from here on, what push writes is all there is.
          this.tail ??= [];
          break;
        }
        const now = Date.now();
        const perSession = new Map<string, Message[]>();
        for (const { message } of batch) {
          // [MQTT-3.3.2-5] an expired message is not forwarded
          if (message.expiresAt !== undefined && message.expiresAt <= now) continue;
          for (const session of this.host.sessionsFor(message)) {
            const list = perSession.get(session);
            if (list) list.push(message);
            else perSession.set(session, [message]);
          }
        }
        const results = await Promise.all(
          [...perSession].map(([session, list]) =>
            this.host.deliver(session, list).then(
              () => true,
              (err: unknown) => {
                this.host.failed(session, err);
                return false;
              },
            ),
          ),
        );
        if (results.some((ok) => !ok)) {
          await this.host.retryLater();
          return;
        }
        this.delivered = batch[batch.length - 1]!.seq;
        if (this.tail && this.tail[0] === batch[0]) this.tail.splice(0, batch.length);
        else this.tail = null;
        this.deleteTimer ??= setTimeout(() => {
          this.deleteTimer = null;
          this.settle();
        }, DELETE_DELAY_MS);
        // The batch was the oldest rows and only they went: the backlog is counted, not queried
        // (COUNT(*) reads the whole table), and an empty outbox is not read again.
        this.backlog = this.backlog === null ? this.outbox.size(this.delivered) : Math.max(0, this.backlog - batch.length);
        if (this.backlog <= this.limits.lowWater) this.release();
        // (Without a tail, read once more: an empty table is what lets the next push start one.)
        if (this.backlog === 0 && this.tail) break;
      }
      this.release();
    } finally {
      this.draining = false;
    }
  }

  /**
   * The write that last called {@link push} was rolled back: its rows are not in the table, and
   * the delivered rows it deleted are there again (the next write deletes them).
   */
  rolledBack(): void {
    this.tail = null;
    this.deleted = 0;
  }

  /** Deletes the rows every session took (in whatever write is under way, if any). */
  private settle(): void {
    if (this.delivered <= this.deleted) return;
    this.outbox.dequeueThrough(this.delivered);
    this.deleted = this.delivered;
  }

  private release(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
