/**
 * Calls waiting for the hub's answer, by correlation id (telemetry `id`, shadow `clientToken`),
 * each with the message that started it (resent after a reconnect) and a deadline, so a lost
 * answer rejects instead of hanging.
 */
import { TimeoutError } from "./errors";

interface Call<T, M> {
  message: M;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Pending calls, in the order they were made. */
export class PendingCalls<T, M> {
  private readonly calls = new Map<string, Call<T, M>>();

  constructor(private readonly what: string) {}

  /** Registers a call; it rejects with `TimeoutError` after `timeoutMs` without an answer. */
  add(id: string, message: M, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new TimeoutError(`${this.what} ${id}: no answer from the hub in ${timeoutMs} ms`));
      }, timeoutMs);
      this.calls.set(id, { message, resolve, reject, timer });
    });
  }

  /** Whether a call with this id is waiting. */
  has(id: string): boolean {
    return this.calls.has(id);
  }

  /** Settles a call successfully; false when no such call waits. */
  resolve(id: string, value: T): boolean {
    const c = this.take(id);
    c?.resolve(value);
    return c !== undefined;
  }

  /** Settles a call with an error; false when no such call waits. */
  reject(id: string, error: Error): boolean {
    const c = this.take(id);
    c?.reject(error);
    return c !== undefined;
  }

  /** The message of a waiting call. */
  message(id: string): M | undefined {
    return this.calls.get(id)?.message;
  }

  /** Every waiting call's message, oldest first (to send again after a reconnect). */
  messages(): M[] {
    return [...this.calls.values()].map((c) => c.message);
  }

  /** Rejects every waiting call. */
  rejectAll(error: Error): void {
    for (const id of [...this.calls.keys()]) this.reject(id, error);
  }

  get size(): number {
    return this.calls.size;
  }

  private take(id: string): Call<T, M> | undefined {
    const c = this.calls.get(id);
    if (c === undefined) return undefined;
    clearTimeout(c.timer);
    this.calls.delete(id);
    return c;
  }
}
