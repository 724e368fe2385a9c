/**
 * Sliding windows in bounded memory. A window of W ms is kept as buckets of g = ceil(W / 120) ms
 * (so at most 121 buckets, whatever the event rate): an event accepted at time s lands in bucket
 * floor(s / g), and at time t the window holds the buckets k with floor(t / g) - span < k ≤
 * floor(t / g), span = ceil(W / g). Counts and sums are exact for that definition (a test checks
 * them against a brute-force list of events); the window's edge moves in steps of g.
 *
 * A bucket is `[k, n]` for COUNT and `[k, n, sum, min, max]` for the numeric aggregates (n counts
 * the numbers seen), plain JSON for the rule state.
 */
import type { WindowSpec } from "./rule-compile";
import type { Value } from "./rule-expr-eval";

/** One bucket, see the file comment. */
export type Bucket = number[];

/** Drops, in place, the buckets that have left the window at time `t`. */
export function pruneWindow(spec: WindowSpec, buckets: Bucket[], t: number): void {
  const oldest = Math.floor(t / spec.bucketMs) - spec.span;
  let drop = 0;
  while (drop < buckets.length && buckets[drop][0] <= oldest) drop++;
  if (drop > 0) buckets.splice(0, drop);
}

/**
 * Adds one event's value at time `t` (not earlier than any previous add). `value` is ignored for
 * COUNT(*) (pass `undefined`); COUNT(x) counts non-NULL values; the others count numbers only,
 * within ±2^53.
 * The last bucket is replaced, not changed, so a caller's copy of the array stays intact.
 */
export function addToWindow(spec: WindowSpec, buckets: Bucket[], t: number, value: Value, star: boolean): void {
  const k = Math.floor(t / spec.bucketMs);
  if (spec.fn === "COUNT") {
    if (!star && (value === null || value === undefined)) return;
    const last = buckets[buckets.length - 1];
    if (last && last[0] === k) buckets[buckets.length - 1] = [k, last[1] + 1];
    else buckets.push([k, 1]);
    return;
  }
  // beyond 2^53 a number is not a measurement; leaving it out also keeps every sum finite
  if (typeof value !== "number" || Math.abs(value) > Number.MAX_SAFE_INTEGER) return;
  const last = buckets[buckets.length - 1];
  if (last && last[0] === k) buckets[buckets.length - 1] = [k, last[1] + 1, last[2] + value, Math.min(last[3], value), Math.max(last[4], value)];
  else buckets.push([k, 1, value, value, value]);
}

/** The aggregate over the buckets (already pruned to the instant): COUNT is 0 when empty, the others have no value. */
export function readWindow(spec: WindowSpec, buckets: readonly Bucket[]): Value {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const b of buckets) {
    n += b[1];
    if (spec.fn !== "COUNT") {
      sum += b[2];
      if (b[3] < min) min = b[3];
      if (b[4] > max) max = b[4];
    }
  }
  switch (spec.fn) {
    case "COUNT":
      return n;
    case "SUM":
      return n === 0 || !Number.isFinite(sum) ? undefined : sum;
    case "AVG":
      return n === 0 || !Number.isFinite(sum / n) ? undefined : sum / n;
    case "MIN":
      return n === 0 ? undefined : min;
    case "MAX":
      return n === 0 ? undefined : max;
  }
}

/** When the oldest bucket leaves the window (the next instant its value can change by itself), or `null`. */
export function nextWindowChange(spec: WindowSpec, buckets: readonly Bucket[]): number | null {
  return buckets.length === 0 ? null : (buckets[0][0] + spec.span) * spec.bucketMs;
}

/** Whether restored JSON is a valid bucket list for `spec` (ascending, right widths, finite). */
export function isBucketList(spec: WindowSpec, x: unknown): x is Bucket[] {
  if (!Array.isArray(x) || x.length > spec.span + 1) return false;
  const width = spec.fn === "COUNT" ? 2 : 5;
  let prev = -Infinity;
  for (const b of x) {
    if (!Array.isArray(b) || b.length !== width || !b.every((n) => typeof n === "number" && Number.isFinite(n))) return false;
    if (!Number.isInteger(b[0]) || b[0] <= prev || b[1] < 1) return false;
    prev = b[0];
  }
  return true;
}
