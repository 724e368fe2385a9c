/**
 * Once-only delivery from an outbox to a session. An outbox (a topic shard's, a device's own
 * topics') keeps a batch until the session's call returns, and deletes it only with a later
 * write: a batch the session stored just before the sender stopped (a crash, a deploy, a lost
 * reply) comes again after it starts. Each batch therefore names its outbox (`from`, a random
 * id made with the outbox, so a deleted and re-made object never matches its old marks) and
 * each message's sequence number there; the session records the numbers it stored per outbox,
 * in the write that stores the messages, and skips what it already has. Subscribers see each
 * message once, not a copy without DUP after every restart. (A session's QoS 2 messages travel
 * the same way, numbered in its QoS 2 sequence: device/mqtt-qos2.ts.)
 *
 * What is kept per outbox: the highest number stored, and which of the 1,024 numbers below it
 * were stored (seq-window.ts). Exact, not "everything up to the highest": a number below the
 * highest that never arrived (its call failed while a later one landed) is taken when it comes.
 */
import { EMPTY, addAll, has, type SeqWindow } from "./seq-window";
import { addColumnIfMissing } from "./add-column";

/** Where a delivered batch comes from: its outbox and each message's sequence number in it. */
export interface DeliveryMark {
  from: string;
  /** `seqs[i]` is the outbox's number for the batch's i-th message; increasing. */
  seqs: number[];
}

/** Numbers stored, per outbox: what a write records. */
export type Marks = ReadonlyMap<string, readonly number[]>;

/** Marks are forgotten after this long without a delivery from their outbox (a deleted object, a retired shard). */
const FORGET_AFTER_MS = 30 * 24 * 3_600_000;

/** What each session stored from each outbox. */
export class DeliveryMarks {
  /** Marks read or written since the object started, by outbox. */
  private readonly known = new Map<string, SeqWindow>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS delivery_marks (source TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL, below BLOB)`);
    addColumnIfMissing(sql, "delivery_marks", "below", "BLOB");
    sql.exec(`DELETE FROM delivery_marks WHERE at < ?`, Date.now() - FORGET_AFTER_MS);
  }

  /** The part of a batch not stored yet (all of it without a mark), with the mark of that part. */
  fresh<T>(messages: T[], mark: DeliveryMark | undefined): { messages: T[]; mark?: DeliveryMark } {
    if (!mark || mark.seqs.length !== messages.length) return { messages };
    const m = this.mark(mark.from);
    const keep: number[] = [];
    mark.seqs.forEach((seq, i) => {
      if (!has(m, seq)) keep.push(i);
    });
    if (keep.length === messages.length) return { messages, mark };
    return { messages: keep.map((i) => messages[i]!), mark: { from: mark.from, seqs: keep.map((i) => mark.seqs[i]!) } };
  }

  /**
   * Records that these numbers of each outbox are stored; call it in the write that stores them
   * (after it, never before: a mark without its messages would lose them).
   */
  record(marks: Marks): void {
    const now = Date.now();
    for (const [from, seqs] of marks) {
      const before = this.mark(from);
      const m = addAll(before, seqs);
      if (m === before) continue;
      this.sql.exec(
        `INSERT INTO delivery_marks (source, seq, at, below) VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET seq = excluded.seq, at = excluded.at, below = excluded.below`,
        from,
        m.last,
        now,
        m.below,
      );
      this.known.set(from, m);
    }
  }

  private mark(from: string): SeqWindow {
    let m = this.known.get(from);
    if (m === undefined) {
      const row = this.sql.exec<{ seq: number; below: ArrayBuffer | null }>(`SELECT seq, below FROM delivery_marks WHERE source = ?`, from).toArray()[0];
      m = row ? { last: row.seq, below: row.below === null ? null : new Uint8Array(row.below) } : EMPTY;
      this.known.set(from, m);
    }
    return m;
  }
}

/** The marks of a whole batch (none without a mark), to record once all of it is stored. */
export function wholeMark(mark: DeliveryMark | undefined): Map<string, number[]> {
  const marks = new Map<string, number[]>();
  addMark(marks, mark, mark?.seqs.length ?? 0);
  return marks;
}

/** Folds the first `count` messages of a batch into the marks a write will record. */
export function addMark(marks: Map<string, number[]>, mark: DeliveryMark | undefined, count: number): void {
  if (!mark || count === 0) return;
  const seqs = marks.get(mark.from);
  if (seqs) seqs.push(...mark.seqs.slice(0, count));
  else marks.set(mark.from, mark.seqs.slice(0, count));
}
