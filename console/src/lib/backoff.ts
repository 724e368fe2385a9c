/** How long to wait before reconnecting a dropped live stream. */

/**
 * Delay before reconnect attempt `n` (0-based): 0.5 s doubling to 15 s, with ±25 % jitter so
 * many tabs dropped together do not return together.
 * @example backoff(0, () => 0.5) // 500
 */
export function backoff(n: number, random = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** n);
  return Math.round(base * (0.75 + random() * 0.5));
}
