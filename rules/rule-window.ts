/**
 * Sliding windows in bounded memory. A window of W ms is kept as at most `span` ≤ 120 buckets of
 * g ms (`windowBuckets` in rule-compile.ts; span · g = W for any window in whole seconds): an
 * event accepted at time s lands in bucket floor(s / g), and at time t the window holds the
 * buckets k with floor(t / g) - span < k ≤ floor(t / g). So an event counts for at most W and
 * more than W - g (W - 2g in the rare case span · g < W). Counts and sums are exact for that
 * definition (a test checks them against a brute-force list of events).
 *
 * Stored densely as plain JSON, `{ k, n, v }`: `k` is the newest bucket's index, `n[i]` the count
 * of bucket `k - n.length + 1 + i` (the first is never 0), and `v[i]` its sum (SUM, AVG), minimum
 * (MIN) or maximum (MAX); COUNT keeps `v` empty. Dense arrays of numbers keep both the JSON small
 * (a busy COUNT over 1m is ~400 bytes) and its parse and stringify cheap.
 */
import type { WindowSpec } from "./rule-compile";
import type { Value } from "./rule-expr-eval";

/** One window's buckets, see the file comment. */
export interface WindowState {
  k: number;
  n: number[];
  v: number[];
}

/** An empty window. */
export const emptyWindow = (): WindowState => ({ k: 0, n: [], v: [] });

/** A private copy (the arrays are changed in place by prune and add). */
export const copyWindow = (w: WindowState): WindowState => ({ k: w.k, n: w.n.slice(), v: w.v.slice() });

/** Drops, in place, the buckets that have left the window at time `t`, and any leading empty ones. */
export function pruneWindow(spec: WindowSpec, w: WindowState, t: number): void {
  const len = w.n.length;
  if (len === 0) return;
  let drop = Math.floor(t / spec.bucketMs) - spec.span + 1 - (w.k - len + 1);
  if (drop <= 0) return;
  if (drop >= len) drop = len;
  while (drop < len && w.n[drop] === 0) drop++;
  w.n.splice(0, drop);
  if (w.v.length) w.v.splice(0, drop);
}

/**
 * Adds one event's value at time `t` (pruned to `t` first, and not earlier than any previous
 * add). COUNT(*) (`star`) counts every event, COUNT(x) non-NULL values, the others numbers
 * within ±2^53 (beyond that a number is not a measurement; leaving it out keeps sums finite).
 */
export function addToWindow(spec: WindowSpec, w: WindowState, t: number, value: Value, star: boolean): void {
  const count = spec.fn === "COUNT";
  if (count ? !star && (value === null || value === undefined) : typeof value !== "number" || Math.abs(value) > Number.MAX_SAFE_INTEGER) return;
  const x = count ? 0 : (value as number);
  const k = Math.floor(t / spec.bucketMs);
  if (w.n.length > 0 && k - w.k >= spec.span) {
    w.n.length = 0; // everything stored has left the window (a caller that did not prune)
    w.v.length = 0;
  }
  const last = w.n.length - 1;
  if (last >= 0 && k === w.k) {
    w.n[last]++;
    if (!count) w.v[last] = spec.fn === "MIN" ? Math.min(w.v[last], x) : spec.fn === "MAX" ? Math.max(w.v[last], x) : w.v[last] + x;
    return;
  }
  if (last >= 0) {
    for (let gap = k - w.k - 1; gap > 0; gap--) {
      w.n.push(0);
      if (!count) w.v.push(0);
    }
  }
  w.k = k;
  w.n.push(1);
  if (!count) w.v.push(x);
}

/** The aggregate over a window pruned to the instant: COUNT is 0 when empty, the others have no value. */
export function readWindow(spec: WindowSpec, w: WindowState): Value {
  let n = 0;
  let acc = spec.fn === "MIN" ? Infinity : spec.fn === "MAX" ? -Infinity : 0;
  for (let i = 0; i < w.n.length; i++) {
    if (w.n[i] === 0) continue;
    n += w.n[i];
    if (spec.fn === "MIN") acc = Math.min(acc, w.v[i]);
    else if (spec.fn === "MAX") acc = Math.max(acc, w.v[i]);
    else if (spec.fn !== "COUNT") acc += w.v[i];
  }
  if (spec.fn === "COUNT") return n;
  if (n === 0) return undefined;
  return spec.fn === "AVG" ? acc / n : acc;
}

/** When the oldest bucket leaves the window (the next instant its value can change by itself), or `null`. */
export function nextWindowChange(spec: WindowSpec, w: WindowState): number | null {
  return w.n.length === 0 ? null : (w.k - w.n.length + 1 + spec.span) * spec.bucketMs;
}

const isInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);

/** Whether restored JSON is a valid window for `spec` (shape, bounds, first bucket not empty). */
export function isWindowState(spec: WindowSpec, x: unknown): x is WindowState {
  if (typeof x !== "object" || x === null) return false;
  const { k, n, v } = x as Record<string, unknown>;
  if (!isInt(k) || !Array.isArray(n) || !Array.isArray(v) || n.length > spec.span) return false;
  if (n.length > 0 && n[0] === 0) return false;
  for (const c of n) if (!isInt(c) || c < 0) return false;
  if (spec.fn === "COUNT") return v.length === 0;
  if (v.length !== n.length) return false;
  for (const s of v) if (typeof s !== "number" || !Number.isFinite(s)) return false;
  return true;
}
