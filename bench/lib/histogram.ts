/**
 * A latency histogram with bounded memory: log buckets 1% wide from 1 µs to ~30 min, so a
 * ten-minute soak with millions of samples costs a few kilobytes and percentiles are within 1%.
 */

const GROWTH = Math.log(1.01);
const MIN_MS = 0.001;
const BUCKETS = Math.ceil(Math.log(30 * 60_000 / MIN_MS) / GROWTH) + 1;

/** Records durations in milliseconds; answers count, percentiles and max. */
export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  /** Adds one duration (ms); negatives count as 0. */
  record(ms: number): void {
    const v = Math.max(ms, MIN_MS);
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v / MIN_MS) / GROWTH));
    this.counts[i]++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The value below which `p` (0–1) of the samples lie, in ms; null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, MIN_MS * Math.exp((i + 0.5) * GROWTH));
    }
    return this.max;
  }

  /** Adds another histogram's samples to this one. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  /** p50 and p99 rounded to 0.01 ms, for a report line. */
  summary(): { p50_ms: number | null; p99_ms: number | null } {
    const r = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
    return { p50_ms: r(this.percentile(0.5)), p99_ms: r(this.percentile(0.99)) };
  }
}
