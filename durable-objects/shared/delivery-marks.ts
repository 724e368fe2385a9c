/**
 * Once-only delivery from an outbox to a session. An outbox (a topic shard's, a device's own
 * topics') keeps a batch until the session's call returns, and deletes it only with a later
 * write: a batch the session stored just before the sender stopped (a crash, a deploy, a lost
 * reply) comes again after it starts. Each batch therefore names its outbox (`from`, a random
 * id made with the outbox, so a deleted and re-made object never matches its old marks) and
 * each message's sequence number there; the session records the last number it stored per
 * outbox, in the write that stores the messages, and skips what it already has. Subscribers
 * see each message once, not a copy without DUP after every restart.
 */

/** Where a delivered batch comes from: its outbox and each message's sequence number in it. */
export interface DeliveryMark {
  from: string;
  /** `seqs[i]` is the outbox's number for the batch's i-th message; increasing. */
  seqs: number[];
}

/** Marks are forgotten after this long without a delivery from their outbox (a deleted object, a retired shard). */
const FORGET_AFTER_MS = 30 * 24 * 3_600_000;

/** The last message a session stored from each outbox. */
export class DeliveryMarks {
  /** Marks read or written since the object started, by outbox. */
  private readonly known = new Map<string, number>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS delivery_marks (source TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL)`);
    sql.exec(`DELETE FROM delivery_marks WHERE at < ?`, Date.now() - FORGET_AFTER_MS);
  }

  /** The part of a batch not stored yet (all of it without a mark), with the mark of that part. */
  fresh<T>(messages: T[], mark: DeliveryMark | undefined): { messages: T[]; mark?: DeliveryMark } {
    if (!mark || mark.seqs.length !== messages.length) return { messages };
    const last = this.last(mark.from);
    let i = 0;
    while (i < mark.seqs.length && mark.seqs[i]! <= last) i++;
    return i === 0 ? { messages, mark } : { messages: messages.slice(i), mark: { from: mark.from, seqs: mark.seqs.slice(i) } };
  }

  /**
   * Records that messages through `seq` of each outbox are stored; call it in the write that
   * stores them (after it, never before: a mark without its messages would lose them).
   */
  record(marks: ReadonlyMap<string, number>): void {
    const now = Date.now();
    for (const [from, seq] of marks) {
      if (seq <= this.last(from)) continue;
      this.sql.exec(`INSERT INTO delivery_marks (source, seq, at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET seq = excluded.seq, at = excluded.at`, from, seq, now);
      this.known.set(from, seq);
    }
  }

  private last(from: string): number {
    let seq = this.known.get(from);
    if (seq === undefined) {
      seq = this.sql.exec<{ seq: number }>(`SELECT seq FROM delivery_marks WHERE source = ?`, from).toArray()[0]?.seq ?? 0;
      this.known.set(from, seq);
    }
    return seq;
  }
}

/** The marks of a whole batch (none without a mark), to record once all of it is stored. */
export function wholeMark(mark: DeliveryMark | undefined): Map<string, number> {
  const marks = new Map<string, number>();
  addMark(marks, mark, mark?.seqs.length ?? 0);
  return marks;
}

/** Folds a part of a batch into the marks a write will record: the last number per outbox. */
export function addMark(marks: Map<string, number>, mark: DeliveryMark | undefined, count: number): void {
  if (!mark || count === 0) return;
  const seq = mark.seqs[count - 1]!;
  if (seq > (marks.get(mark.from) ?? 0)) marks.set(mark.from, seq);
}
