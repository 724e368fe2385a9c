/**
 * Pacing the fleet's telemetry (pure): R messages per second in all, spread over the connected
 * devices in turn, so each device sends about every N/R seconds and no device bursts.
 */

/**
 * How many messages are due at `elapsedMs` into the run at `rate` per second, `sent` being
 * what was already handed out. Never negative; catches up after a slow tick.
 * @example due(200, 1000, 150) // 50
 * @example due(0.5, 3000, 1) // 0 (1.5 due: one sent, the next at 4 s)
 */
export function due(rate: number, elapsedMs: number, sent: number): number {
  return Math.max(0, Math.floor((rate * elapsedMs) / 1000) - sent);
}

/**
 * Hands out devices in turn, skipping those that cannot take a message now (offline, or too
 * many waiting for their ack). Returns null when none can.
 */
export class RoundRobin<T> {
  private next = 0;

  constructor(private readonly items: readonly T[]) {}

  pick(ready: (item: T) => boolean): T | null {
    for (let tried = 0; tried < this.items.length; tried++) {
      const item = this.items[this.next];
      this.next = (this.next + 1) % this.items.length;
      if (item !== undefined && ready(item)) return item;
    }
    return null;
  }
}
