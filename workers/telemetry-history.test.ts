/** Telemetry history queries: bucket widths, aggregates, limits, fleet combination. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_AGGREGATES, MAX_BUCKETS, combine, defaultFrom, parseAggregates, parseBucket, parseKeys, pick, spanProblem } from "./telemetry-history";
import type { Bucket } from "../durable-objects/device/telemetry-buckets";

describe("history query parameters", () => {
  it.each([
    ["1s", 1_000],
    ["30s", 30_000],
    ["1m", 60_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["24h", 86_400_000],
    ["1d", 86_400_000],
    ["1440m", 86_400_000],
  ])("bucket %s is %i ms", (text, ms) => {
    expect(parseBucket(text)).toBe(ms);
  });

  it.each(["", "1", "0s", "1ms", "500ms", "2d", "25h", "1.5m", "-1m", "1w", "01m", "m", "1 m", "9999999s"])("refuses bucket %j", (text) => {
    expect(typeof parseBucket(text)).toBe("string");
  });

  it("reads aggregates and keys", () => {
    expect(parseAggregates(undefined)).toEqual(DEFAULT_AGGREGATES);
    expect(parseAggregates("sum,first,sum")).toEqual(["sum", "first"]);
    expect(parseAggregates("avg,median")).toMatch(/median/);
    expect(parseKeys(undefined)).toEqual([]);
    expect(parseKeys("temp,a.b,temp")).toEqual(["temp", "a.b"]);
    expect(parseKeys('a"b')).toMatch(/"/);
    expect(parseKeys("a,,b")).toMatch(/non-empty/);
    expect(parseKeys(Array.from({ length: 33 }, (_, i) => `k${i}`).join(","))).toMatch(/32/);
  });

  it("limits the buckets a range spans", () => {
    expect(spanProblem(0, MAX_BUCKETS * 1_000, 1_000)).toBeNull();
    expect(spanProblem(0, MAX_BUCKETS * 1_000 + 1, 1_000)).toMatch(/10001 buckets/);
    expect(spanProblem(500, MAX_BUCKETS * 1_000, 1_000)).toBeNull(); // the first bucket starts at 0
    expect(spanProblem(5, 5, 1_000)).toMatch(/after/);
  });

  it("keeps the asked aggregates", () => {
    const b: Bucket = { ts: 0, count: 2, numeric: 1, avg: 1, min: 1, max: 1, sum: 1, first: "x", last: 1 };
    expect(pick(b, ["count", "last"])).toEqual({ ts: 0, count: 2, last: 1 });
  });
});

/** One device's bucket of plain values (the model of what its object answers). */
function bucketOf(ts: number, values: (number | string)[]): Bucket {
  const nums = values.filter((v): v is number => typeof v === "number");
  const sum = nums.reduce((a, b) => a + b, 0);
  return { ts, count: values.length, numeric: nums.length, avg: nums.length ? sum / nums.length : null, min: nums.length ? Math.min(...nums) : null, max: nums.length ? Math.max(...nums) : null, sum: nums.length ? sum : null, first: values[0]!, last: values[values.length - 1]! };
}

describe("the default range", () => {
  it("is 24 h, or never more buckets than a query may span, for every bucket width and end", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 86_400_000, max: 4_000_000_000_000 }), (seconds, to) => {
        const from = defaultFrom(to, seconds * 1000);
        expect(spanProblem(from, to, seconds * 1000)).toBeNull();
        expect(to - from).toBe(Math.min(86_400_000, (MAX_BUCKETS - 1) * seconds * 1000));
      }),
    );
  });
});

describe("combining devices", () => {
  it("equals aggregating every device's values together", () => {
    const values = fc.array(fc.oneof(fc.integer({ min: -100, max: 100 }), fc.constant("on")), { minLength: 1, maxLength: 5 });
    const device = fc.dictionary(fc.constantFrom("0", "60000", "120000"), values);
    fc.assert(
      fc.property(fc.array(device, { maxLength: 6 }), (devices) => {
        const series = devices.map((d) => Object.entries(d).map(([ts, vs]) => bucketOf(Number(ts), vs)).sort((a, b) => a.ts - b.ts));
        const pooled = new Map<number, (number | string)[]>();
        for (const d of devices) for (const [ts, vs] of Object.entries(d)) pooled.set(Number(ts), [...(pooled.get(Number(ts)) ?? []), ...vs]);
        const want = [...pooled].sort(([a], [b]) => a - b).map(([ts, vs]) => bucketOf(ts, vs));
        const got = combine(series);
        expect(got.map((b) => [b.ts, b.count, b.numeric, b.min, b.max, b.sum])).toEqual(want.map((b) => [b.ts, b.count, b.numeric, b.min, b.max, b.sum]));
        got.forEach((b, i) => {
          const w = want[i]!.avg;
          if (w === null) expect(b.avg).toBeNull();
          else expect(b.avg).toBeCloseTo(w, 9);
          expect([b.first, b.last]).toEqual([null, null]);
        });
      }),
    );
  });

  it("averages devices whose averages are near a double's limit (found by an outside run: null)", () => {
    const b = (avg: number, numeric: number): Bucket => ({ ts: 0, count: numeric, numeric, avg, min: avg, max: avg, sum: avg * numeric, first: null, last: null });
    const [got] = combine([[b(1e308, 2)], [b(1e308, 1)]]);
    expect(got!.avg).toBe(1e308);
    expect(combine([[b(1e308, 1)], [b(-1e308, 3)]])[0]!.avg).toBeCloseTo(-5e307, -290);
    // sums whose running total overflows while the total does not
    expect(combine([[b(1e308, 1)], [b(1e308, 1)], [b(-1e308, 1)]])[0]).toMatchObject({ avg: 1e308 / 3, sum: 1e308 });
  });
});
