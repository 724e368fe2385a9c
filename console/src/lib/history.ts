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

/** The name of the combined series in a fleet chart (no device id has a space). */
export const ALL_DEVICES = "all devices";

/**
 * Reads the fleet query's answer (`GET /v1/telemetry?group=…&key=…&combine=true`: per device,
 * one key's buckets) into series named by device id, the combined one ({@link ALL_DEVICES}) first.
 */
export function fleetSeries(answer: unknown): { series: Series; keys: string[] } {
  const a = typeof answer === "object" && answer !== null ? (answer as { devices?: unknown; combined?: unknown }) : {};
  const rows = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null) : []);
  const items = [
    ...rows(a.combined).map((it) => ({ ...it, key: ALL_DEVICES })),
    ...rows(a.devices).flatMap((d) => (typeof d.device_id === "string" ? rows(d.items).map((it) => ({ ...it, key: d.device_id })) : [])),
  ];
  const read = historySeries({ items });
  return { series: read.series, keys: read.keys.includes(ALL_DEVICES) ? [ALL_DEVICES, ...read.keys.filter((k) => k !== ALL_DEVICES)] : read.keys };
}
