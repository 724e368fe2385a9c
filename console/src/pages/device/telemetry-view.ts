/**
 * What the telemetry section draws and says: only data loaded for the settings now chosen (a
 * failed or pending load for new settings must not leave the old chart on the new axis), and
 * a note that names where the points come from.
 */
import { formatBucket } from "../../lib/buckets";

/** The settings a load was made for, as one comparable string. */
export const loadKey = (id: string, rangeMs: number, bucketMs: number, history: boolean): string => `${id}\n${rangeMs}\n${bucketMs}\n${history}`;

/**
 * The loaded data to draw: none after a failed load, nor while the data on hand was loaded
 * for other settings (a reload for the same settings keeps it on screen).
 */
export function drawable<T extends { key: string }>(data: T | null | undefined, error: unknown, key: string): T | undefined {
  if (error !== undefined || !data) return undefined;
  return data.key === key ? data : undefined;
}

/** The note under the chart settings: where the points come from and how wide the buckets are. */
export function telemetryNote(kind: "history" | "raw", bucketMs: number): string {
  if (kind === "history") return `Aggregated by the hub (history API). Buckets: ${formatBucket(bucketMs)}.`;
  if (bucketMs <= 0) return "Raw samples from the hub, one point per sample.";
  return `Raw samples from the hub, averaged per bucket in the browser. Buckets: ${formatBucket(bucketMs)}.`;
}
