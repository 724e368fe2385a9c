/**
 * The simulator's counters: what the fleet did (connections, telemetry sent and acknowledged,
 * deltas obeyed, commands and methods answered, drops, errors), the acknowledged rate over the
 * last seconds for the progress line, and the summary printed at the end.
 */

/** How far back the progress line's msgs/s looks. */
const WINDOW_MS = 5_000;
/** How many error messages the summary keeps (the count has them all). */
const KEEP_ERRORS = 10;

/** The end-of-run summary (`--json` prints it as is). */
export interface SimSummary {
  protocol: string;
  devices: number;
  connected: number;
  /** Milliseconds to create (or find and issue tokens for) the devices. */
  provisionMs: number;
  /** Milliseconds from the first connection attempt to the last device connected. */
  connectMs: number;
  /** Seconds the fleet reported telemetry. */
  seconds: number;
  rate: number;
  sent: number;
  acked: number;
  /** Acknowledged telemetry per second over the run. */
  ackedPerSecond: number;
  deltas: number;
  commands: number;
  methods: number;
  disconnects: number;
  reconnects: number;
  errors: number;
  firstErrors: string[];
}

/** Counters of one run. */
export class SimStats {
  connected = 0;
  sent = 0;
  acked = 0;
  deltas = 0;
  commands = 0;
  methods = 0;
  disconnects = 0;
  reconnects = 0;
  errors = 0;
  readonly firstErrors: string[] = [];
  private readonly ackTimes: number[] = [];

  /** Counts an error (and keeps its message while there are few). */
  error(e: unknown): void {
    this.errors++;
    if (this.firstErrors.length < KEEP_ERRORS) this.firstErrors.push(e instanceof Error ? e.message : String(e));
  }

  /** Counts an acknowledged message at `now`. */
  ack(now: number): void {
    this.acked++;
    this.ackTimes.push(now);
  }

  /** Acknowledged messages per second over the last few seconds. */
  ackRate(now: number): number {
    while (this.ackTimes.length > 0 && (this.ackTimes[0] ?? 0) < now - WINDOW_MS) this.ackTimes.shift();
    return this.ackTimes.length / (WINDOW_MS / 1000);
  }

  /** The progress line's text. */
  line(total: number, now: number): string {
    const parts = [
      `connected ${this.connected}/${total}`,
      `msgs/s ${this.ackRate(now).toFixed(1)}`,
      `acks ${this.acked}/${this.sent}`,
      `errors ${this.errors}`,
    ];
    if (this.deltas || this.commands || this.methods) parts.push(`deltas ${this.deltas} commands ${this.commands} methods ${this.methods}`);
    if (this.disconnects) parts.push(`drops ${this.disconnects} reconnects ${this.reconnects}`);
    return parts.join("  ");
  }

  summary(run: { protocol: string; devices: number; provisionMs: number; connectMs: number; seconds: number; rate: number }): SimSummary {
    return {
      ...run,
      connected: this.connected,
      sent: this.sent,
      acked: this.acked,
      ackedPerSecond: run.seconds > 0 ? Math.round((this.acked / run.seconds) * 10) / 10 : 0,
      deltas: this.deltas,
      commands: this.commands,
      methods: this.methods,
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      errors: this.errors,
      firstErrors: [...this.firstErrors],
    };
  }
}
