/**
 * A push → pull bridge: a producer (a socket's message callback) pushes, a consumer reads with
 * `for await`. Nothing is dropped while the consumer is busy; `fail` ends the reading with an
 * error once what was pushed before it has been read.
 */

type Waiter<T> = { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void };

/**
 * @example
 * const q = new AsyncQueue<string>();
 * socket.onmessage = (e) => q.push(String(e.data));
 * socket.onclose = () => q.end();
 * for await (const m of q) console.log(m);
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private done = false;
  private error: { reason: unknown } | null = null;

  /** @param onReturn called once when the consumer stops early (`break`, `return`). */
  constructor(private readonly onReturn: () => void = () => {}) {}

  /** Adds an item (ignored after `end`/`fail`). */
  push(item: T): void {
    if (this.done || this.error) return;
    const w = this.waiters.shift();
    if (w) w.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** No more items: reading finishes after the ones already pushed. */
  end(): void {
    if (this.done || this.error) return;
    this.done = true;
    this.flush();
  }

  /** Reading throws `reason` after the items already pushed. */
  fail(reason: unknown): void {
    if (this.done || this.error) return;
    this.error = { reason };
    this.flush();
  }

  /** Whether the queue was ended or failed. */
  get closed(): boolean {
    return this.done || this.error !== null;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.error) return Promise.reject(this.error.reason);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    const wasOpen = !this.closed;
    this.items.length = 0;
    this.done = true;
    this.error = null;
    this.flush();
    if (wasOpen) this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private flush(): void {
    for (const w of this.waiters.splice(0)) {
      if (this.error) w.reject(this.error.reason);
      else w.resolve({ value: undefined, done: true });
    }
  }
}
