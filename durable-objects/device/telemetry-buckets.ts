/**
 * Telemetry history in time buckets, computed in the device object's SQLite: one query per key
 * (json_extract over the stored rows, grouped by bucket start). `count` counts the samples that
 * carry the key with a non-null value (a null is no reading); avg, min, max and sum take its numeric values only (null
 * in a bucket without any; sum also when it is past a double's range); first and last are the values of the earliest and latest of those
 * samples, whatever their JSON type. Buckets start at multiples of the bucket width since the
 * epoch (a 1 d bucket is a UTC day); buckets without samples are left out.
 */
import type { JsonValue } from "../../protocols/json-value";

/** What to aggregate. */
export interface BucketQuery {
  keys: string[];
  /** Epoch ms, `from <= ts < to`. */
  from: number;
  to: number;
  /** Bucket width in ms. */
  bucketMs: number;
}

/** One bucket of one key: every aggregate, plus how many values were numeric (to combine averages). */
export type Bucket = {
  ts: number;
  count: number;
  numeric: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  sum: number | null;
  first: JsonValue;
  last: JsonValue;
};

/** A key's buckets, oldest first. */
export interface KeyBuckets {
  key: string;
  buckets: Bucket[];
}

/** The JSON path of a top-level key (a key holding `"` cannot be addressed; callers refuse it). */
export function keyPath(key: string): string {
  return `$."${key}"`;
}

const QUERY = `
SELECT bucket AS ts, COUNT(*) AS count, COUNT(n) AS numeric, AVG(n) AS avg,
  CASE WHEN COUNT(n) > 0 THEN TOTAL(n) END AS sum, TOTAL(n / cn) AS mean,
  json_group_array(DISTINCT CAST(t AS TEXT)) FILTER (WHERE n <= lo + max(abs(lo) * 1e-15, 1e-322)) AS min,
  json_group_array(DISTINCT CAST(t AS TEXT)) FILTER (WHERE n >= hi - max(abs(hi) * 1e-15, 1e-322)) AS max,
  MAX(f) AS first, MAX(l) AS last
FROM (
  SELECT bucket, n, t,
    COUNT(n) OVER w AS cn,
    FIRST_VALUE(t) OVER w AS f,
    LAST_VALUE(t) OVER w AS l,
    -- The texts read within a few units in the last place of the least (greatest): SQLite's
    -- reading of neighbouring doubles may tie or even swap them; JavaScript picks the exact one.
    MIN(n) OVER w AS lo,
    MAX(n) OVER w AS hi
  FROM (
    -- Each value's own JSON text, returned as stored (SQLite's parsing of a double's text misses
    -- its last bit for about one double in eight), and as a number for sums and ordering.
    SELECT ts - ts % ? AS bucket, ts, seq, data -> ? AS t,
      CASE WHEN json_type(data, ?) IN ('integer', 'real') THEN json_extract(data, ?) END AS n
    FROM telemetry
    WHERE ts >= ? AND ts < ? AND json_type(data, ?) NOT IN ('null')
  )
  WINDOW w AS (PARTITION BY bucket ORDER BY ts, seq ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
GROUP BY bucket ORDER BY bucket`;

/**
 * A bucket as the query returns it: the values' JSON text where they must come back exactly
 * (`min`, `max`: a JSON array of the candidates' texts, whose readings are too close to order).
 */
type Row = Omit<Bucket, "min" | "max" | "first" | "last"> & { mean: number; min: string; max: string; first: string; last: string };

/**
 * The least (`pick` Math.min) or greatest of the candidate texts, read exactly; null when none.
 * The candidates are distinct texts (a bucket of one repeated value has one), folded pairwise:
 * spreading a bucket's worth into one call could pass more arguments than a call may take.
 */
function exact(candidates: string, pick: (a: number, b: number) => number): number | null {
  const values = (JSON.parse(candidates) as string[]).map((t) => JSON.parse(t) as number);
  return values.length ? values.reduce((a, b) => pick(a, b)) : null;
}

/** The buckets of each key (one query per key). */
export function aggregateBuckets(sql: SqlStorage, q: BucketQuery): KeyBuckets[] {
  return q.keys.map((key) => {
    const p = keyPath(key);
    const rows = sql.exec<Row>(QUERY, q.bucketMs, p, p, p, q.from, q.to, p).toArray();
    const buckets = rows.map(({ mean, ...r }): Bucket => {
      const min = exact(r.min, Math.min);
      const max = exact(r.max, Math.max);
      // One number: its mean and sum are that number, as stored (not SQLite's reading of it).
      const sums = r.numeric === 1 ? { avg: min, sum: min } : overflowSafe(r.avg, r.sum, mean, r.numeric);
      return { ...r, ...sums, min, max, first: JSON.parse(r.first) as JsonValue, last: JSON.parse(r.last) as JsonValue };
    });
    return { key, buckets };
  });
}

/**
 * A running total past a double's range (values near 1e308) makes SQLite's AVG and TOTAL
 * infinite even when the mean, or the sum itself, is not: the mean is then the sum of each value
 * over the count, which cannot overflow, and the sum that mean times the count (still infinite,
 * null in JSON, when the sum really is past the range).
 */
export function overflowSafe(avg: number | null, sum: number | null, mean: number, numeric: number): { avg: number | null; sum: number | null } {
  if (numeric === 0 || (Number.isFinite(avg) && Number.isFinite(sum))) return { avg, sum };
  const safeAvg = Number.isFinite(avg) ? avg! : mean;
  return { avg: safeAvg, sum: Number.isFinite(sum) ? sum : safeAvg * numeric };
}
