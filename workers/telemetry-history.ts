/**
 * Telemetry history queries (pure): bucket widths (`1s` … `1d`), the aggregates asked for, the
 * limits, and combining per-device buckets into fleet buckets. The buckets themselves are
 * computed in each device's object (durable-objects/device/telemetry-buckets.ts).
 */
import type { Bucket } from "../durable-objects/device/telemetry-buckets";
import type { JsonValue } from "../protocols/json-value";

/** The aggregates a query may ask for. */
export const AGGREGATES = ["avg", "min", "max", "sum", "count", "first", "last"] as const;
export type Aggregate = (typeof AGGREGATES)[number];
/** Asked for when `agg` is absent. */
export const DEFAULT_AGGREGATES: Aggregate[] = ["avg", "min", "max", "count"];

/** Buckets a query may span (per key, per device). */
export const MAX_BUCKETS = 10_000;
/** Keys one device query may name. */
export const MAX_KEYS = 32;
/** Devices a fleet query may cover. */
export const MAX_FLEET_DEVICES = 1_000;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A bucket width in ms, or an error text: a positive integer and a unit s, m, h or d, 1s to 1d.
 * @example parseBucket("5m") // 300000
 * @example parseBucket("2d") // "bucket must be between 1s and 1d"
 */
export function parseBucket(text: string): number | string {
  const m = /^([1-9]\d{0,5})([smhd])$/.exec(text);
  if (!m) return "bucket must be a whole number and a unit s, m, h or d (e.g. 30s, 1m, 1h, 1d)";
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return ms < 1_000 || ms > 86_400_000 ? "bucket must be between 1s and 1d" : ms;
}

/** The aggregates of `agg=a,b`, or an error text. */
export function parseAggregates(text: string | undefined): Aggregate[] | string {
  if (text === undefined || text === "") return DEFAULT_AGGREGATES;
  const asked = text.split(",").map((s) => s.trim());
  const bad = asked.filter((a) => !(AGGREGATES as readonly string[]).includes(a));
  if (bad.length) return `agg may name only ${AGGREGATES.join(", ")} (not ${bad.join(", ")})`;
  return [...new Set(asked)] as Aggregate[];
}

/** The keys of `keys=a,b` (none: every key), or an error text. */
export function parseKeys(text: string | undefined): string[] | string {
  const keys = text === undefined || text === "" ? [] : [...new Set(text.split(","))];
  if (keys.length > MAX_KEYS) return `keys may name at most ${MAX_KEYS} keys`;
  if (keys.some((k) => k === "" || k.includes('"'))) return 'keys must be non-empty and may not contain "';
  return keys;
}

/**
 * Where a bucketed range starts when `from` is not given: 24 h before `to`, or as far back as a
 * query may span when the buckets are narrower (MAX_BUCKETS - 1 widths: the ends may fall inside buckets).
 */
export function defaultFrom(to: number, bucketMs: number): number {
  return to - Math.min(86_400_000, (MAX_BUCKETS - 1) * bucketMs);
}

/** What is wrong with a `from`/`to` range (raw or bucketed history), or null. */
export function rangeProblem(from: number, to: number): string | null {
  return to <= from ? "to must be after from" : null;
}

/** An error text when `from..to` in `bucketMs` buckets spans more than MAX_BUCKETS, or is empty. */
export function spanProblem(from: number, to: number, bucketMs: number): string | null {
  const range = rangeProblem(from, to);
  if (range) return range;
  const first = from - (from % bucketMs);
  const n = Math.ceil((to - first) / bucketMs);
  return n > MAX_BUCKETS ? `from..to spans ${n} buckets of ${bucketMs} ms; at most ${MAX_BUCKETS} (use a wider bucket or a shorter range)` : null;
}

/** A bucket as answered: its start and the aggregates asked for. */
export type BucketView = { ts: number } & Partial<Record<Aggregate, JsonValue>>;

/** Keeps the asked aggregates of a bucket. */
export function pick(b: Bucket, aggs: readonly Aggregate[]): BucketView {
  const out: BucketView = { ts: b.ts };
  for (const a of aggs) out[a] = b[a];
  return out;
}

/**
 * Combines the buckets of many devices into one series: counts and sums add, min and max of
 * the mins and maxes, the average weighted by each device's numeric count. first and last do
 * not combine across devices and are left out.
 */
export function combine(series: readonly Bucket[][]): Bucket[] {
  const byTs = new Map<number, Bucket>();
  for (const buckets of series) {
    for (const b of buckets) {
      const c = byTs.get(b.ts);
      if (!c) {
        byTs.set(b.ts, { ...b, first: null, last: null });
        continue;
      }
      c.count += b.count;
      const sum = b.sum === null ? c.sum : (c.sum ?? 0) + b.sum;
      c.min = b.min === null ? c.min : c.min === null ? b.min : Math.min(c.min, b.min);
      c.max = b.max === null ? c.max : c.max === null ? b.max : Math.max(c.max, b.max);
      const numeric = c.numeric + b.numeric;
      const avg = numeric === 0 ? null : ((c.avg ?? 0) * c.numeric + (b.avg ?? 0) * b.numeric) / numeric;
      // Weighted the other way round when the products overflow (averages near 1e308), and a sum
      // whose running total overflowed taken from that average (see overflowSafe).
      c.avg = avg === null || Number.isFinite(avg) ? avg : (c.avg ?? 0) * (c.numeric / numeric) + (b.avg ?? 0) * (b.numeric / numeric);
      c.sum = sum === null || Number.isFinite(sum) || c.avg === null ? sum : c.avg * numeric;
      c.numeric = numeric;
    }
  }
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}
