/**
 * An MQTT session's state in its object's SQLite, written incrementally. The session state
 * machine hands back a whole new state after every event; writing it as one JSON row made each
 * event cost as much as the session's queue was long (a subscriber behind by thousands of
 * messages spent half the runtime's samples rewriting them). Here the small part (flags,
 * subscriptions, packet ids, will) is one row, and the queue and the in-flight window are
 * rows of their own: an event writes only the messages it added, changed or removed.
 *
 * The state machine keeps message objects when it moves them (spreads, slices, filters), so a
 * message already stored is recognised by identity. When the new order cannot be expressed
 * by appending (something entered ahead of stored messages) the list is written again whole,
 * which is always correct, only slower.
 */
import { listPlaceholders, rowPlaceholders } from "../shared/placeholders";
import type { InflightEntry, SessionState, StoredMessage } from "../../protocols/mqtt";
import type { DeviceStore } from "./store";

/** Meta key of the session's small part (the same key as the whole state had before). */
const KEY = "mqtt_session";
/** Rows per INSERT: two parameters each (queue), three each (in flight), under the limit of 100. */
const CHUNK = 48;
const INFLIGHT_CHUNK = 32;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS mqtt_queue (seq INTEGER PRIMARY KEY, message TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS mqtt_inflight (ord INTEGER PRIMARY KEY, packet_id INTEGER NOT NULL, entry TEXT NOT NULL)`,
];

/**
 * The fields of the small part whose change is worth a write, checked by identity (the machine
 * makes a new object or array when it changes one). Not in it: the queue and the in-flight window
 * (rows of their own), the packet-id counter (allocation skips ids in flight, so a stale counter
 * after a restart is harmless: rewriting the row for it was most of a delivery's writes) and the
 * last activity (its writes are paced by the host, which forces them). A field added to
 * SessionState must be named here or below: the type requires it.
 */
const HEAD_FIELDS: Record<Exclude<keyof SessionState, "queue" | "inflight" | "nextPacketId" | "lastActivity">, true> = {
  v: true,
  clientId: true,
  exists: true,
  connected: true,
  protocolVersion: true,
  keepAlive: true,
  expiryInterval: true,
  disconnectedAt: true,
  will: true,
  willAt: true,
  subscriptions: true,
  topicAliases: true,
  outAliases: true,
  awaitingRelease: true,
  client: true,
  limits: true,
};
const headFields = Object.keys(HEAD_FIELDS) as (keyof typeof HEAD_FIELDS)[];

/** One session's state: {@link load} it once, then {@link save} every state the machine returns. */
export class MqttSessionStore {
  /** The state whose small part was written last (null: none, or not known to be stored). */
  private head: SessionState | null = null;
  /** Row key of each stored queue message, and of each stored in-flight entry. */
  private readonly seqOf = new WeakMap<StoredMessage, number>();
  private readonly ordOf = new WeakMap<InflightEntry, number>();
  private queue: readonly StoredMessage[] = [];
  private inflight: readonly InflightEntry[] = [];
  private nextSeq = 1;
  private nextOrd = 1;

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: Pick<DeviceStore, "getMeta" | "setMeta">,
  ) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  /** Whether a session is stored (cheap: the small part only). */
  exists(): boolean {
    return this.meta.getMeta<SessionState>(KEY)?.exists === true;
  }

  /** Whether anything is stored for the session. */
  stored(): boolean {
    return this.meta.getMeta<SessionState>(KEY) !== null;
  }

  /** The stored session, or null. */
  load(): SessionState | null {
    const head = this.meta.getMeta<SessionState>(KEY);
    this.queue = [];
    this.inflight = [];
    this.head = null;
    if (!head) return null;
    // A state written whole (before this store) carries its lists: the next save moves them to rows.
    if (head.queue.length > 0 || head.inflight.length > 0) {
      this.sql.exec(`DELETE FROM mqtt_queue`);
      this.sql.exec(`DELETE FROM mqtt_inflight`);
      return head;
    }
    const queue: StoredMessage[] = [];
    for (const row of this.sql.exec<{ seq: number; message: string }>(`SELECT seq, message FROM mqtt_queue ORDER BY seq`)) {
      const m = JSON.parse(row.message) as StoredMessage;
      this.seqOf.set(m, row.seq);
      this.nextSeq = row.seq + 1;
      queue.push(m);
    }
    const inflight: InflightEntry[] = [];
    for (const row of this.sql.exec<{ ord: number; entry: string }>(`SELECT ord, entry FROM mqtt_inflight ORDER BY ord`)) {
      const e = JSON.parse(row.entry) as InflightEntry;
      this.ordOf.set(e, row.ord);
      this.nextOrd = row.ord + 1;
      inflight.push(e);
    }
    this.queue = queue;
    this.inflight = inflight;
    return { ...head, queue, inflight };
  }

  /**
   * Stores `state`: its small part when a field worth a write changed (or `activity` asks for its
   * last activity to be written), and what changed in its queue and in-flight window. Returns
   * whether the small part (with the last activity) was written.
   */
  save(state: SessionState, activity = false): boolean {
    const head = this.head;
    const wrote = activity || head === null || headFields.some((f) => head[f] !== state[f]);
    if (wrote) {
      this.meta.setMeta(KEY, { ...state, queue: [], inflight: [] });
      this.head = state;
    }
    if (state.queue !== this.queue) this.saveQueue(state.queue);
    if (state.inflight !== this.inflight) this.saveInflight(state.inflight);
    return wrote;
  }

  /** Forgets the session. */
  clear(): void {
    this.meta.setMeta(KEY, null);
    this.head = null;
    this.sql.exec(`DELETE FROM mqtt_queue`);
    this.sql.exec(`DELETE FROM mqtt_inflight`);
    this.queue = [];
    this.inflight = [];
  }

  private saveQueue(queue: readonly StoredMessage[]): void {
    if (this.saveQueueTail(queue)) return;
    const kept = new Set<number>();
    const added: StoredMessage[] = [];
    let last = 0;
    let appendOnly = true;
    for (const m of queue) {
      const seq = this.seqOf.get(m);
      if (seq === undefined) added.push(m);
      else if (added.length > 0 || seq <= last) appendOnly = false;
      else {
        kept.add(seq);
        last = seq;
      }
    }
    // Kept rows are in ascending order, so the first is the lowest.
    const firstKept = kept.size > 0 ? kept.values().next().value! : Infinity;
    if (!appendOnly) {
      this.sql.exec(`DELETE FROM mqtt_queue`);
      this.insertQueue(queue);
    } else {
      const removed = this.queue.map((m) => this.seqOf.get(m)!).filter((seq) => !kept.has(seq));
      deleteKeys(this.sql, "mqtt_queue", "seq", removed, firstKept);
      this.insertQueue(added);
    }
    this.queue = queue;
  }

  /**
   * The usual change, in time linear only in identity checks: the oldest `k` messages left (sent
   * or dropped) and new ones were appended. Returns false for any other change.
   */
  private saveQueueTail(queue: readonly StoredMessage[]): boolean {
    const old = this.queue;
    let k = old.length;
    if (queue.length > 0 && this.seqOf.has(queue[0]!)) {
      k = old.indexOf(queue[0]!);
      if (k < 0) return false;
    }
    const kept = old.length - k;
    if (queue.length < kept) return false;
    for (let i = 0; i < kept; i++) if (queue[i] !== old[k + i]) return false;
    for (let i = kept; i < queue.length; i++) if (this.seqOf.has(queue[i]!)) return false;
    if (k > 0) this.sql.exec(`DELETE FROM mqtt_queue WHERE seq <= ?`, this.seqOf.get(old[k - 1]!)!);
    this.insertQueue(queue.slice(kept));
    this.queue = queue;
    return true;
  }

  private insertQueue(messages: readonly StoredMessage[]): void {
    for (let i = 0; i < messages.length; i += CHUNK) {
      const chunk = messages.slice(i, i + CHUNK);
      const params: (string | number)[] = [];
      for (const m of chunk) {
        const seq = this.nextSeq++;
        this.seqOf.set(m, seq);
        params.push(seq, JSON.stringify(m));
      }
      this.sql.exec(`INSERT OR REPLACE INTO mqtt_queue (seq, message) VALUES ${rowPlaceholders(chunk.length, 2)}`, ...params);
    }
  }

  private saveInflight(inflight: readonly InflightEntry[]): void {
    // An entry that changed phase keeps its packet id's place: its row is replaced in position.
    const byId = new Map<number, InflightEntry>();
    for (const e of this.inflight) byId.set(e.packetId, e);
    const place = (e: InflightEntry): number | undefined => {
      const own = this.ordOf.get(e);
      if (own !== undefined) return own;
      const before = byId.get(e.packetId);
      return before ? this.ordOf.get(before) : undefined;
    };
    const kept = new Set<number>();
    const changed: [InflightEntry, number | undefined][] = [];
    let last = 0;
    let sawNew = false;
    let inOrder = true;
    for (const e of inflight) {
      const ord = place(e);
      if (ord === undefined) sawNew = true;
      else if (sawNew || ord <= last) inOrder = false;
      else {
        kept.add(ord);
        last = ord;
      }
      if (ord === undefined || this.ordOf.get(e) === undefined) changed.push([e, ord]);
    }
    const firstKept = kept.size > 0 ? kept.values().next().value! : Infinity;
    if (!inOrder) {
      this.sql.exec(`DELETE FROM mqtt_inflight`);
      this.writeEntries(inflight.map((e) => [e, this.nextOrd++]));
    } else {
      const removed = this.inflight.map((e) => this.ordOf.get(e)!).filter((ord) => !kept.has(ord));
      deleteKeys(this.sql, "mqtt_inflight", "ord", removed, firstKept);
      this.writeEntries(changed.map(([e, ord]) => [e, ord ?? this.nextOrd++]));
    }
    this.inflight = inflight;
  }

  /** Writes entries at their places, one statement per {@link INFLIGHT_CHUNK} (statements, not rows, are the cost). */
  private writeEntries(entries: readonly [InflightEntry, number][]): void {
    for (let i = 0; i < entries.length; i += INFLIGHT_CHUNK) {
      const chunk = entries.slice(i, i + INFLIGHT_CHUNK);
      const params: (string | number)[] = [];
      for (const [e, ord] of chunk) {
        this.ordOf.set(e, ord);
        params.push(ord, e.packetId, JSON.stringify(e));
      }
      this.sql.exec(`INSERT OR REPLACE INTO mqtt_inflight (ord, packet_id, entry) VALUES ${rowPlaceholders(chunk.length, 3)}`, ...params);
    }
  }
}

/** Deletes rows by key: one range when they all sit below `firstKept` (the usual: the oldest went), else in chunks. */
function deleteKeys(sql: SqlStorage, table: string, column: string, keys: number[], firstKept: number): void {
  if (keys.length === 0) return;
  let highest = -Infinity;
  for (const k of keys) if (k > highest) highest = k;
  if (highest < firstKept) {
    sql.exec(`DELETE FROM ${table} WHERE ${column} <= ?`, highest);
    return;
  }
  for (let i = 0; i < keys.length; i += 90) {
    const chunk = keys.slice(i, i + 90);
    sql.exec(`DELETE FROM ${table} WHERE ${column} IN (${listPlaceholders(chunk.length)})`, ...chunk);
  }
}

