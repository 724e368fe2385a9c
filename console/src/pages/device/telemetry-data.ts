/**
 * Fetching telemetry for the chart: the history API (`?bucket=&agg=`, aggregated in the device's
 * object) when this hub has it, else raw rows folded into buckets in the browser.
 */
import { request, seg, withQuery } from "../../api/client";
import type { Page } from "../../api/types";
import { bucketize, numericKeys, type Sample, type Series } from "../../lib/buckets";
import { bucketParam, historySeries } from "../../lib/history";
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

/** Aggregated series from the history API. */
export async function historyBuckets(id: string, from: number, to: number, bucketMs: number): Promise<{ series: Series; keys: string[] }> {
  const bucket = bucketParam(bucketMs);
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
