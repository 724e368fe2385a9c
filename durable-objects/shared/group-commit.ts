/**
 * Group commit: work that must be durable (or delivered) before it is acknowledged is written in
 * batches — one transaction, or one RPC to another object — and only then are the waiting
 * acknowledgements released. One INSERT (or one call) per message caps a local object near 4.5k
 * msg/s (DESIGN.md); one per batch lifts that. Everything added to one batch shares one promise.
 *
 * A batch is written at the end of the turn it started in when nothing is being written, so an
 * idle object adds no delay (a fixed 2 ms window was most of a message's latency across a quiet
 * pair of objects); while a write is in flight (and, with `settled`, until it is durable), what
 * arrives waits and goes in the next batch the moment it ends, so a busy object batches as much as
 * one write takes. A batch that reaches `max` items is written at once.
 */
export class GroupCommit<T> {
  private items: T[] = [];
  private done: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private scheduled = false;
  /** The write in flight (until it is settled), or null. */
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

  /** Adds items; resolves once they are written (rejects if the batch's write failed). */
  add(items: readonly T[]): Promise<void> {
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
    else this.schedule();
    return promise;
  }

  /** Writes what is buffered now. */
  flush(): void {
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
    const inFlight = written.then(() => this.settled?.()).catch(() => undefined);
    this.writing = inFlight;
    void inFlight.then(() => {
      if (this.writing !== inFlight) return;
      this.writing = null;
      // What waited for this write goes now.
      if (this.items.length > 0) this.flush();
    });
  }

  /** Writes at the end of this turn, unless a write in flight will take the batch when it ends. */
  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      if (!this.writing) this.flush();
    }, 0);
  }
}
