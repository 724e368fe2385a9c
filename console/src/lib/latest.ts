/**
 * The chart's one-line summary of the newest values. A bucketed series' times are bucket
 * starts, not sample times, so then the line says it is a bucket's average and when that
 * bucket starts rather than claiming a sample arrived at that moment.
 */
import type { Series } from "./buckets";
import { formatBucket } from "./buckets";

/** Latest non-null value of each key, with its time (epoch seconds). */
export function latest(series: Series, keys: string[]): { key: string; value: number; t: number }[] {
  return keys.flatMap((k) => {
    const col = series.avg[k] ?? [];
    for (let i = col.length - 1; i >= 0; i--) {
      const v = col[i];
      if (v !== null && v !== undefined) return [{ key: k, value: v, t: series.t[i] }];
    }
    return [];
  });
}

/** A value short enough for a caption. */
export const roundValue = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : String(Number(v.toPrecision(4))));

/**
 * "latest temp 21.5 at <time>" for samples; "latest temp 21.5 (average of the 30 s bucket
 * starting <time>)" when `bucketMs` > 0. `time` formats epoch ms. Null when nothing has a value.
 */
export function latestText(series: Series, keys: string[], bucketMs: number, time: (ms: number) => string): string | null {
  const last = latest(series, keys);
  if (last.length === 0) return null;
  const values = last.map((l) => `${l.key} ${roundValue(l.value)}`).join(", ");
  const at = time(Math.max(...last.map((l) => l.t)) * 1000);
  return bucketMs > 0 ? `latest ${values} (average of the ${formatBucket(bucketMs)} bucket starting ${at})` : `latest ${values} at ${at}`;
}
