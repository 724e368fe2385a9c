/**
 * A durable outbox of MQTT messages and its drain to subscriber sessions, shared by topic
 * shards and by device objects (which publish their own topics). Messages are written in the
 * caller's transaction, so an acknowledgement that follows the write follows durability; the
 * drain sends each batch to every session that wants part of it, one call per session per
 * batch, in order, and a batch leaves the outbox only once every session took its part (at
 * least once; a failure is retried from the object's alarm).
 */
import { addressed, type Message } from "../../protocols/mqtt";
import { messageRow, rowMessage, type MessageRow } from "./message-rows";
import { rowPlaceholders } from "./placeholders";
import { lastSequence } from "./sqlite-sequence";
import type { DeliveryMark } from "./delivery-marks";

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
  /** This outbox's name for its sessions' marks (delivery-marks.ts): random, made with the table, so a re-made object never matches its old marks. */
  private ownId: string | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly table: string,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, qos INTEGER NOT NULL,
      retain INTEGER NOT NULL, payload BLOB NOT NULL, origin TEXT, properties TEXT, expires_at INTEGER)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox_ids (tbl TEXT PRIMARY KEY, id TEXT NOT NULL)`);
  }

  /** The outbox's id as its sessions' marks know it. */
  get id(): string {
    if (this.ownId !== null) return this.ownId;
    const row = this.sql.exec<{ id: string }>(`SELECT id FROM outbox_ids WHERE tbl = ?`, this.table).toArray()[0];
    if (row) return (this.ownId = row.id);
    const id = crypto.randomUUID();
    this.sql.exec(`INSERT INTO outbox_ids (tbl, id) VALUES (?, ?)`, this.table, id);
    return (this.ownId = id);
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
  /** The sessions a message goes to (each once), with the shared subscriptions whose group chose each (subscribersOf). */
  sessionsFor(message: Message): Iterable<[string, readonly string[]]>;
  /** Hands a batch to one session, with its mark (the session stores each message once); rejects when it could not. */
  deliver(session: string, messages: Message[], mark: DeliveryMark): Promise<void>;
  /** Arms the object's alarm to retry after a failure. */
  retryLater(): Promise<void>;
  /**
   * Arms the object's alarm {@link RESUME_MS} ahead (earlier is fine), which must call
   * {@link OutboxDrain.resume}: called in the write of the first row after that last ran.
   */
  resumeLater(at: number): Promise<void>;
  /** Logs a failed delivery (already escaped). */
  failed(session: string, err: unknown): void;
}

/** A message as the drain keeps it: its own copy of the payload, not a view into a larger frame (an RPC would copy the whole buffer). */
function ownCopy(m: Message): Message {
  return m.payload.byteOffset === 0 && m.payload.byteLength === m.payload.buffer.byteLength ? m : { ...m, payload: m.payload.slice() };
}

/**
 * The alarm that resumes an outbox after a crash or a restart (its lanes live in memory, its rows
 * on disk; nothing else may wake the object: a device that only ever posted over HTTP, a shard
 * whose publishers are gone): armed in the write of the first row after the alarm last ran, and
 * harmless when it finds nothing left. A busy outbox runs it this often; an idle one once after
 * its last write.
 */
export const RESUME_MS = 5_000;

/** Limits of a drain: batch size, and the backlog past which publishers wait. */
export interface DrainLimits {
  batch: number;
  highWater: number;
  lowWater: number;
}

/** A scanned row: its message and how many sessions still have to take it. */
interface Pending extends OutboxEntry {
  left: number;
}

/** One session's share of the scanned rows, sent in order, one call at a time. */
interface Lane {
  /** Rows for this session, each with the message as it goes to this session (addressed()). */
  queue: { pending: Pending; message: Message }[];
  busy: boolean;
  /** Its last call failed: it waits for the next {@link OutboxDrain.drain} (a write or the alarm). */
  failed: boolean;
}

/**
 * Drains an outbox. `push` writes messages (synchronously, in the caller's transaction) and
 * starts a drain; it resolves at once unless the backlog is past the high-water mark, when it
 * waits for the drain to catch up: that is the publishers' backpressure.
 *
 * Each session has a lane of its own: rows are scanned once (the sessions that want each are
 * decided then), and every lane sends its part in order, one call at a time, as fast as its
 * session takes it. A slow session (one whose client acknowledges slowly holds its deliveries
 * up to `MQTT_ROOM_WAIT_SECONDS`) therefore delays only itself: the others run up to the
 * high-water mark ahead of it, and only then do publishers wait — for the slowest, as they must
 * for nothing to be lost. A row leaves the outbox once every session took it.
 */
export class OutboxDrain {
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
  /** Rows after `delivered` through `scanned`, oldest first, each handed to its sessions' lanes. */
  private readonly window: Pending[] = [];
  private scanned = 0;
  private readonly lanes = new Map<string, Lane>();
  /** Lanes sending now (their promises), for {@link drain} to wait on. */
  private readonly sending = new Set<Promise<void>>();
  /** The scan the current event's writes wait for (see {@link drain}). */
  private scheduled: Promise<void> | null = null;
  /**
   * Every row after `scanned`, as written by {@link push} (null: unknown, read the table). The
   * drain reads the table only when this is unknown: after a start, a failed write, or a backlog
   * past the high-water mark. A write that wrote rows and then failed is rolled back, so its
   * caller must say so ({@link rolledBack}) or its messages would go out although never stored.
   */
  private tail: OutboxEntry[] | null = null;
  /** Whether the resume alarm was armed since it last ran (see {@link RESUME_MS}). */
  private resumeArmed = false;

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
    if (!this.resumeArmed) {
      this.resumeArmed = true;
      this.host.resumeLater(Date.now() + RESUME_MS).catch((err: unknown) => {
        this.resumeArmed = false; // the next row tries again
        console.error(`outbox ${this.outbox.id}: its resume alarm was not armed:`, err instanceof Error ? err.message : String(err));
      });
    }
    if (tail && tail.length + entries.length <= this.limits.highWater) {
      for (const e of entries) tail.push({ seq: e.seq, message: ownCopy(e.message) });
      this.tail = tail;
    }
    this.settle();
    this.backlog = (this.backlog ?? this.outbox.size(this.delivered) - messages.length) + messages.length;
    void this.kick();
    if (this.backlog <= this.limits.highWater) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** From the object's alarm: sends what a crash, a restart or a failed call left; the next row arms it again. */
  resume(): Promise<void> {
    this.resumeArmed = false;
    return this.drain();
  }

  /**
   * Sends what the outbox holds (also from the alarm after an eviction or a failed delivery,
   * whose lanes try again now); resolves once no lane is sending.
   */
  async drain(): Promise<void> {
    for (const lane of this.lanes.values()) lane.failed = false;
    await this.kick();
    while (this.sending.size > 0) await Promise.all(this.sending);
  }

  /** Scans and starts idle lanes once the current event is over: the batch gathers what it adds meanwhile. */
  private kick(): Promise<void> {
    return (this.scheduled ??= Promise.resolve().then(() => {
      this.scheduled = null;
      this.fill();
    }));
  }

  /** Scans new rows into the lanes (up to the high-water mark ahead of `delivered`) and starts idle lanes. */
  private fill(): void {
    const room = this.limits.highWater - this.window.length;
    if (room > 0) {
      const read = Math.min(room, this.limits.batch);
      const fresh = this.tail ? this.tail.splice(0, room) : this.outbox.oldest(read, this.scanned);
      // A short read means the table holds nothing after it: from here on, what push writes is all there is.
      if (!this.tail && fresh.length < read) this.tail = [];
      const now = Date.now();
      for (const { seq, message } of fresh) {
        const entry: Pending = { seq, message, left: 0 };
        this.scanned = seq;
        this.window.push(entry);
        // [MQTT-3.3.2-5] an expired message is not forwarded
        if (message.expiresAt !== undefined && message.expiresAt <= now) continue;
        for (const [session, sharedBy] of this.host.sessionsFor(message)) {
          let lane = this.lanes.get(session);
          if (!lane) this.lanes.set(session, (lane = { queue: [], busy: false, failed: false }));
          lane.queue.push({ pending: entry, message: addressed(message, sharedBy) });
          entry.left++;
        }
      }
      this.advance();
    }
    for (const [session, lane] of this.lanes) {
      if (lane.busy || lane.failed) continue;
      if (lane.queue.length === 0) this.lanes.delete(session);
      else this.send(session, lane);
    }
    if (this.window.length === 0 && this.tail?.length === 0) {
      // Nothing after `delivered`, known without a query.
      this.backlog = 0;
      this.release();
    }
  }

  /** Sends a lane's part batch by batch until it is empty or a call fails. */
  private send(session: string, lane: Lane): void {
    lane.busy = true;
    const run = (async () => {
      while (lane.queue.length > 0 && !lane.failed) {
        const batch = lane.queue.slice(0, this.limits.batch);
        try {
          await this.host.deliver(
            session,
            batch.map((q) => q.message),
            { from: this.outbox.id, seqs: batch.map((q) => q.pending.seq) },
          );
          lane.queue.splice(0, batch.length);
          for (const q of batch) q.pending.left--;
          this.advance();
          this.fill();
        } catch (err) {
          this.host.failed(session, err);
          lane.failed = true;
          await this.host.retryLater().catch(() => undefined);
        }
      }
    })().finally(() => {
      lane.busy = false;
      this.sending.delete(run);
    });
    this.sending.add(run);
  }

  /** Moves `delivered` past the oldest rows every session took. */
  private advance(): void {
    let n = 0;
    while (n < this.window.length && this.window[n]!.left === 0) n++;
    if (n === 0) return;
    this.delivered = this.window[n - 1]!.seq;
    this.window.splice(0, n);
    this.deleteTimer ??= setTimeout(() => {
      this.deleteTimer = null;
      this.settle();
    }, DELETE_DELAY_MS);
    // The rows were the oldest and only they went: the backlog is counted, not queried
    // (COUNT(*) reads the whole table).
    this.backlog = this.backlog === null ? this.outbox.size(this.delivered) : Math.max(0, this.backlog - n);
    if (this.backlog <= this.limits.lowWater) this.release();
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
