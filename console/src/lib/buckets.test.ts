/** Client-side buckets: table cases, and properties that match the raw rows (counts, extremes). */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { autoBucket, BUCKETS_MS, bucketize, fitBucketChoice, formatBucket, numericKeys, offeredBuckets, RANGES, type Sample } from "./buckets";

const s = (ts: number, data: Sample["data"]): Sample => ({ ts, data });

describe("numericKeys", () => {
  it("keeps keys with a finite number somewhere", () => {
    expect(numericKeys([s(1, { t: 1, name: "x" }), s(2, { h: 2.5, on: true, nested: { a: 1 } })])).toEqual(["h", "t"]);
  });
});

describe("bucketize", () => {
  it("averages per bucket and leaves empty buckets out", () => {
    const r = bucketize([s(1_000, { t: 1 }), s(1_500, { t: 3 }), s(4_200, { t: 10, h: 2 })], ["t", "h"], 1_000);
    expect(r.t).toEqual([1, 4]);
    expect(r.avg).toEqual({ t: [2, 10], h: [null, 2] });
    expect(r.min.t).toEqual([1, 10]);
    expect(r.max.t).toEqual([3, 10]);
    expect(r.count).toEqual({ t: [2, 1], h: [0, 1] });
  });

  it("unbucketed, gives one point per time, sorted", () => {
    const r = bucketize([s(3_000, { t: 3 }), s(1_000, { t: 1 }), s(1_000, { t: 2 })], ["t"], 0);
    expect(r.t).toEqual([1, 3]);
    expect(r.avg.t).toEqual([1.5, 3]);
  });

  it("keeps every number: counts add up, and min ≤ avg ≤ max per bucket", () => {
    const samples = fc.array(fc.record({ ts: fc.integer({ min: 0, max: 1e7 }), data: fc.record({ v: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) }) }));
    fc.assert(
      fc.property(samples, fc.constantFrom(0, 1_000, 60_000), (rows, bucket) => {
        const r = bucketize(rows, ["v"], bucket);
        expect(r.count.v.reduce((a, b) => a + b, 0)).toBe(rows.length);
        r.t.forEach((_, i) => {
          const [lo, avg, hi] = [r.min.v[i], r.avg.v[i], r.max.v[i]];
          if (lo === null || avg === null || hi === null) throw new Error("empty bucket kept");
          expect(lo).toBeLessThanOrEqual(avg + 1e-6);
          expect(avg).toBeLessThanOrEqual(hi + 1e-6);
        });
        expect([...r.t].sort((a, b) => a - b)).toEqual(r.t);
      }),
    );
  });
});

describe("autoBucket and formatBucket", () => {
  it("keeps a range to at most 240 buckets", () => {
    expect(autoBucket(60_000)).toBe(1_000);
    expect(autoBucket(3_600_000)).toBe(30_000);
    expect(autoBucket(7 * 86_400_000)).toBe(3_600_000);
  });

  it("names widths", () => {
    expect([0, 5_000, 60_000, 3_600_000, 86_400_000].map(formatBucket)).toEqual(["raw", "5 s", "1 min", "1 h", "1 d"]);
  });
});

describe("offeredBuckets and fitBucketChoice", () => {
  it("offers widths that cut the range into 2 to 5,000 buckets", () => {
    expect(offeredBuckets(15 * 60_000)).toEqual([1_000, 5_000, 10_000, 30_000, 60_000, 300_000]);
    expect(offeredBuckets(30 * 86_400_000)).toEqual([900_000, 3_600_000, 21_600_000, 86_400_000]);
  });

  it("drops a width the new range does not offer back to automatic", () => {
    // Last 15 minutes at 1 s, then Last 30 days: 1 s would be 2,592,000 buckets, refused by the hub.
    expect(fitBucketChoice(1_000, 30 * 86_400_000)).toBe("auto");
    expect(fitBucketChoice(86_400_000, 15 * 60_000)).toBe("auto");
  });

  it("keeps automatic, raw, and a width still offered", () => {
    expect(fitBucketChoice("auto", 30 * 86_400_000)).toBe("auto");
    expect(fitBucketChoice(0, 30 * 86_400_000)).toBe(0);
    expect(fitBucketChoice(3_600_000, 7 * 86_400_000)).toBe(3_600_000);
  });

  it("always leaves a choice the select offers", () => {
    fc.assert(
      fc.property(fc.constantFrom(...BUCKETS_MS), fc.constantFrom(...RANGES.map((r) => r.ms)), (bucket, range) => {
        const kept = fitBucketChoice(bucket, range);
        expect(kept === "auto" || offeredBuckets(range).includes(kept)).toBe(true);
      }),
    );
  });
});
