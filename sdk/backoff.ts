/**
 * Reconnect delays: exponential backoff with jitter. Pure (the random source is passed in), so
 * the schedule is tested as a table and as properties; the SDK's devices and event streams use it.
 */

/** How reconnect delays grow. */
export interface BackoffOptions {
  /** The ceiling of the first delay, in ms (default 500). */
  initialMs?: number;
  /** No delay is longer than this, in ms (default 30,000). */
  maxMs?: number;
  /** Each attempt multiplies the ceiling by this (default 2). */
  factor?: number;
  /**
   * The share of the ceiling that is random, 0–1 (default 0.5: a delay lies between half the
   * ceiling and the ceiling). Jitter spreads a fleet that lost the hub at once over time, so
   * it does not come back in one wave.
   */
  jitter?: number;
}

/** The defaults, filled in. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * The delay before reconnect attempt `attempt` (0 = the first retry): the ceiling
 * `min(maxMs, initialMs · factor^attempt)`, less up to `jitter` of it at random.
 * @example backoffDelay(0, {}, () => 0) // 500 (no jitter drawn)
 * @example backoffDelay(3, {}, () => 1) // 2000 (ceiling 4000, half of it jittered off)
 * @example backoffDelay(50, {}, Math.random) // between 15000 and 30000
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const jitter = Math.min(1, Math.max(0, o.jitter));
  const n = Math.max(0, Math.floor(attempt));
  // factor^n overflows to Infinity for large n; min() keeps that harmless.
  const ceiling = Math.min(o.maxMs, o.initialMs * o.factor ** n);
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling * (1 - jitter * r));
}

/**
 * A retry counter: `next()` gives the next delay, `reset()` after a connection that worked.
 * @example
 * const b = new Backoff({ initialMs: 100 });
 * await sleep(b.next()); // ~50–100 ms, then ~100–200 ms, ...
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call counts one attempt. */
  next(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Starts over from the first delay. */
  reset(): void {
    this.attempt = 0;
  }
}
