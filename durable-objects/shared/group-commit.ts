/**
 * Group commit: work that must be durable (or delivered) before it is acknowledged is written in
 * batches — one transaction, or one RPC to another object — and only then are the waiting
 * acknowledgements released. One INSERT (or one call) per message caps a local object near 4.5k
 * msg/s (DESIGN.md); one per batch lifts that. Everything added to one batch shares one promise.
 *
 * A batch is written at the end of the turn it started in, so an idle object adds no delay (a
 * fixed 2 ms window was most of a message's latency across a quiet pair of objects), or sooner
 * when the caller knows its burst is complete ({@link burstDone}: in a busy runtime the end of the
 * turn comes only after every other event queued meanwhile). With
 * `settled` (a synchronous write, e.g. a transaction, and when it is durable: `storage.sync()`),
 * what arrives while the last batch is not yet durable waits and goes the moment it is, so a busy
 * object puts as much in one commit as one commit takes. Without it (an RPC), batches do not
 * wait for each other: one slow call must not hold up the next. A batch that reaches `max`
 * items is written at once.
 */
export class GroupCommit<T> {
  private items: T[] = [];
  private done: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private scheduled: ReturnType<typeof setTimeout> | null = null;
  /** The last write until it is settled (only with `settled`), or null. */
  private writing: Promise<void> | null = null;

  /**
   * @param write takes the whole batch: synchronously (e.g. `transactionSync`) or as a promise (an RPC)
   * @param settled when a synchronous write is durable (e.g. `storage.sync()`): the next batch waits for it
   */
  constructor(
    private readonly write: (items: T[]) => void | Promise<void>,
    private readonly max = 256,
    private readonly settled?: () => Promise<void>,
  ) {}

  /**
   * Adds items; resolves once they are written (rejects if the batch's write failed).
   * @param burstDoneFollows the caller will call {@link burstDone} (even if it fails), so no timer is set:
   * a timer per batch cost ~2% of a busy runtime's time, and burstDone would clear it anyway
   */
  add(items: readonly T[], burstDoneFollows = false): Promise<void> {
    for (const item of items) this.items.push(item);
    if (!this.done) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.done = { promise, resolve, reject };
    }
    const promise = this.done.promise;
    if (this.items.length >= this.max) this.flush();
    else if (!burstDoneFollows) this.schedule();
    return promise;
  }

  /**
   * The caller's burst is complete (e.g. every packet of one socket message is routed): the batch
   * goes now rather than at the end of the turn, unless a write not yet settled will take it.
   * (The timer would wait behind every other event queued meanwhile.)
   */
  burstDone(): void {
    if (!this.writing && this.done) this.flush();
  }

  /** Writes what is buffered now. */
  flush(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled);
      this.scheduled = null;
    }
    const items = this.items;
    const done = this.done;
    this.items = [];
    this.done = null;
    if (!done) return;
    if (items.length === 0) return done.resolve();
    let written: Promise<void>;
    try {
      written = this.write(items) ?? Promise.resolve();
    } catch (err) {
      written = Promise.reject(err);
    }
    written.then(done.resolve, done.reject);
    if (!this.settled) return;
    const inFlight = written.then(() => this.settled?.()).catch(() => undefined);
    this.writing = inFlight;
    void inFlight.then(() => {
      if (this.writing !== inFlight) return;
      this.writing = null;
      // What waited for this write goes now.
      if (this.items.length > 0) this.flush();
    });
  }

  /** Writes at the end of this turn, unless a write not yet settled will take the batch when it is. */
  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = null;
      this.burstDone();
    }, 0);
  }
}
