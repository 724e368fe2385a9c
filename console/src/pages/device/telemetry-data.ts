/**
 * Fetching telemetry for the chart: the history API (`?bucket=&agg=`, issue 10) when this hub
 * has it, else raw rows folded into buckets in the browser.
 */
import { request, seg, withQuery } from "../../api/client";
import type { Page } from "../../api/types";
import { bucketize, numericKeys, type Sample, type Series } from "../../lib/buckets";
import type { JsonValue } from "../../../../protocols/json-value";

/** Most raw rows read for one chart. */
export const MAX_RAW_ROWS = 20_000;

/** Raw samples with from <= ts < to, oldest first; `truncated` when there were more. */
export async function rawSamples(id: string, from: number, to: number): Promise<{ samples: Sample[]; truncated: boolean }> {
  const samples: Sample[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Sample> = await request<Page<Sample>>("GET", withQuery(`/v1/devices/${seg(id)}/telemetry`, { from, to, limit: 1000, cursor }));
    samples.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && samples.length < MAX_RAW_ROWS);
  return { samples, truncated: cursor !== null };
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * Reads a history answer into series. Accepted: `{items: [{ts, data: {key: {avg, min, max, count}}}]}`
 * (or the aggregate under the key directly, or a plain number), time as `ts`, `t`, `start` or `bucket`.
 */
export function historySeries(answer: unknown): { series: Series; keys: string[] } {
  const items = (typeof answer === "object" && answer !== null && Array.isArray((answer as { items?: unknown }).items) ? (answer as { items: unknown[] }).items : []) as Record<string, unknown>[];
  const rows = items.map((it) => {
    const t = num(it.ts) ?? num(it.t) ?? num(it.start) ?? num(it.bucket) ?? 0;
    const data = (typeof it.data === "object" && it.data !== null ? it.data : it) as Record<string, unknown>;
    const cells: Record<string, { avg: number | null; min: number | null; max: number | null; count: number }> = {};
    for (const [k, v] of Object.entries(data)) {
      if (["ts", "t", "start", "bucket"].includes(k) && data === it) continue;
      const o = (typeof v === "object" && v !== null ? v : { avg: v }) as Record<string, unknown>;
      const avg = num(o.avg) ?? num(o.value);
      if (avg === null && num(o.count) === null) continue;
      cells[k] = { avg, min: num(o.min) ?? avg, max: num(o.max) ?? avg, count: num(o.count) ?? 1 };
    }
    return { t, cells };
  });
  rows.sort((a, b) => a.t - b.t);
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.cells)))].sort();
  const series: Series = { t: rows.map((r) => r.t / 1000), avg: {}, min: {}, max: {}, count: {} };
  for (const k of keys) {
    series.avg[k] = rows.map((r) => r.cells[k]?.avg ?? null);
    series.min[k] = rows.map((r) => r.cells[k]?.min ?? null);
    series.max[k] = rows.map((r) => r.cells[k]?.max ?? null);
    series.count[k] = rows.map((r) => r.cells[k]?.count ?? 0);
  }
  return { series, keys };
}

/** Aggregated series from the history API. */
export async function historyBuckets(id: string, from: number, to: number, bucketMs: number): Promise<{ series: Series; keys: string[] }> {
  const bucket = `${Math.round(bucketMs / 1000)}s`;
  return historySeries(await request<unknown>("GET", withQuery(`/v1/devices/${seg(id)}/telemetry`, { from, to, bucket, agg: "avg,min,max,count" })));
}

/** Series and keys from raw samples. */
export function rawSeries(samples: Sample[], bucketMs: number): { series: Series; keys: string[] } {
  const keys = numericKeys(samples);
  return { series: bucketize(samples, keys, bucketMs), keys };
}

/** A telemetry event's sample, if it is one. */
export function sampleOf(data: JsonValue): Sample | null {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const ts = data.ts;
  const d = data.data;
  if (typeof ts !== "number" || typeof d !== "object" || d === null || Array.isArray(d)) return null;
  return { ts, data: d };
}
