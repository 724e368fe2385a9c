/**
 * The telemetry history API's answer (`GET /v1/devices/{id}/telemetry?bucket=…`, aggregated in
 * the device's object) read into chart series, and bucket widths written its way.
 */
import type { Series } from "./buckets";

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * Reads a history answer — `{items: [{key, ts, avg, min, max, count}]}`, one item per key and
 * bucket (issue 10 item 5) — into series on shared bucket times.
 */
export function historySeries(answer: unknown): { series: Series; keys: string[] } {
  const raw = typeof answer === "object" && answer !== null ? (answer as { items?: unknown }).items : undefined;
  const items = (Array.isArray(raw) ? raw : []).filter((it): it is Record<string, unknown> => typeof it === "object" && it !== null && typeof (it as { key?: unknown }).key === "string" && num((it as { ts?: unknown }).ts) !== null);
  const times = [...new Set(items.map((it) => it.ts as number))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const keys = [...new Set(items.map((it) => it.key as string))].sort();
  const series: Series = { t: times.map((t) => t / 1000), avg: {}, min: {}, max: {}, count: {} };
  for (const k of keys) {
    series.avg[k] = times.map(() => null);
    series.min[k] = times.map(() => null);
    series.max[k] = times.map(() => null);
    series.count[k] = times.map(() => 0);
  }
  for (const it of items) {
    const k = it.key as string;
    const i = at.get(it.ts as number) ?? 0;
    series.avg[k][i] = num(it.avg);
    series.min[k][i] = num(it.min);
    series.max[k][i] = num(it.max);
    series.count[k][i] = num(it.count) ?? 0;
  }
  // Keys with no numeric value anywhere (text telemetry) cannot be drawn.
  return { series, keys: keys.filter((k) => series.avg[k].some((v) => v !== null)) };
}

/** A bucket width as the history API writes it: `30s`, `5m`, `1h`, `1d`. */
export function bucketParam(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}
