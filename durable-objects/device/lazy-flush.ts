/**
 * A change left for the next write (an MQTT session's PUBACKs retiring QoS 1 messages) is written
 * on its own when no write comes soon: a session that goes quiet would otherwise keep it unwritten
 * until its next event, and a restart meanwhile — a graceful one too — resends what the client
 * already acknowledged (with DUP, as QoS 1 allows, but on every restart).
 */
export class LazyFlush {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly flush: () => void,
    private readonly delayMs = 1_000,
  ) {}

  /** A change was left unwritten: it is written within `delayMs` unless a write takes it first. */
  pending(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.delayMs);
  }

  /** A write took every change. */
  written(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
  }
}
