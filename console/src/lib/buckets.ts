/**
 * Telemetry for the chart: which keys are numbers, and raw samples folded into time buckets
 * (average, minimum, maximum, count per key) — what the history API computes in the device's
 * object, done in the browser while a hub does not have that API.
 */
import type { JsonValue } from "../../../protocols/json-value";

/** A sample as `GET /v1/devices/{id}/telemetry` returns it. */
export interface Sample {
  ts: number;
  data: Record<string, JsonValue>;
}

/** Per-key series on shared times, ready for uPlot (times in epoch seconds). */
export interface Series {
  /** Bucket starts (or sample times when unbucketed), epoch seconds, ascending. */
  t: number[];
  /** Per key: average per bucket (the value itself when unbucketed); null where the key had no number. */
  avg: Record<string, (number | null)[]>;
  min: Record<string, (number | null)[]>;
  max: Record<string, (number | null)[]>;
  count: Record<string, number[]>;
}

/** Ranges a chart offers, newest last: the last `ms` up to now. */
export const RANGES: { label: string; ms: number }[] = [
  { label: "Last 15 minutes", ms: 15 * 60_000 },
  { label: "Last hour", ms: 3_600_000 },
  { label: "Last 6 hours", ms: 6 * 3_600_000 },
  { label: "Last 24 hours", ms: 86_400_000 },
  { label: "Last 7 days", ms: 7 * 86_400_000 },
  { label: "Last 30 days", ms: 30 * 86_400_000 },
];

/** Bucket widths the console offers, in ms. */
export const BUCKETS_MS = [1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000] as const;

const numberOf = (v: JsonValue | undefined): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Keys that hold a finite number in at least one sample, sorted. */
export function numericKeys(samples: readonly Sample[]): string[] {
  const keys = new Set<string>();
  for (const s of samples) for (const [k, v] of Object.entries(s.data)) if (numberOf(v) !== null) keys.add(k);
  return [...keys].sort();
}

/** The bucket widths offered for a range: those that cut it into 2 to 5,000 buckets. */
export function offeredBuckets(rangeMs: number): number[] {
  return BUCKETS_MS.filter((b) => rangeMs / b <= 5_000 && rangeMs / b >= 2);
}

/**
 * The bucket choice to keep when the range becomes `rangeMs`: "auto" and raw (0) always fit;
 * a width not offered for the new range falls back to "auto" (the hub would refuse it, and
 * the select would show nothing chosen).
 * @example fitBucketChoice(1_000, 30 * 86_400_000) // "auto"
 */
export function fitBucketChoice(choice: "auto" | number, rangeMs: number): "auto" | number {
  if (choice === "auto" || choice === 0) return choice;
  return offeredBuckets(rangeMs).includes(choice) ? choice : "auto";
}

/** The smallest offered bucket that keeps a range to at most `maxPoints` buckets. */
export function autoBucket(rangeMs: number, maxPoints = 240): number {
  return BUCKETS_MS.find((b) => rangeMs / b <= maxPoints) ?? BUCKETS_MS[BUCKETS_MS.length - 1];
}

/**
 * Folds samples into buckets of `bucketMs` aligned to the epoch (0: one point per sample).
 * Buckets without any sample are left out, so the chart draws no invented values.
 * @example bucketize([{ts: 1000, data: {t: 1}}, {ts: 1500, data: {t: 3}}], ["t"], 1000).avg.t // [2]
 */
export function bucketize(samples: readonly Sample[], keys: readonly string[], bucketMs: number): Series {
  const order = [...samples].sort((a, b) => a.ts - b.ts);
  const starts: number[] = [];
  const acc = new Map<number, Map<string, { sum: number; min: number; max: number; n: number }>>();
  for (const s of order) {
    const start = bucketMs > 0 ? Math.floor(s.ts / bucketMs) * bucketMs : s.ts;
    // Unbucketed, samples of one millisecond share a point (their average), as uPlot needs unique times.
    let b = acc.get(start);
    if (b === undefined) {
      b = new Map();
      acc.set(start, b);
      starts.push(start);
    }
    for (const k of keys) {
      const v = numberOf(s.data[k]);
      if (v === null) continue;
      const cur = b.get(k);
      if (cur) {
        cur.sum += v;
        cur.n += 1;
        cur.min = Math.min(cur.min, v);
        cur.max = Math.max(cur.max, v);
      } else b.set(k, { sum: v, min: v, max: v, n: 1 });
    }
  }
  const series: Series = { t: starts.map((ms) => ms / 1000), avg: {}, min: {}, max: {}, count: {} };
  for (const k of keys) {
    const cells = starts.map((st) => acc.get(st)?.get(k));
    series.avg[k] = cells.map((c) => (c ? c.sum / c.n : null));
    series.min[k] = cells.map((c) => (c ? c.min : null));
    series.max[k] = cells.map((c) => (c ? c.max : null));
    series.count[k] = cells.map((c) => c?.n ?? 0);
  }
  return series;
}

/** "1 s", "5 min", "1 h", "1 d": a bucket width as people read it. */
export function formatBucket(ms: number): string {
  if (ms <= 0) return "raw";
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
