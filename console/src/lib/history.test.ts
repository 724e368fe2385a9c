/**
 * History answers into series: the documented shape, and the property that buckets computed in
 * the browser from raw rows, written the API's way, read back to the same series.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ALL_DEVICES, bucketParam, fleetSeries, historySeries } from "./history";
import { bucketize, BUCKETS_MS } from "./buckets";

describe("historySeries", () => {
  it("puts one item per key and bucket on shared times", () => {
    const r = historySeries({
      items: [
        { key: "temp", ts: 60_000, avg: 21, min: 20, max: 22, count: 2 },
        { key: "temp", ts: 120_000, avg: 23, min: 23, max: 23, count: 1 },
        { key: "hum", ts: 120_000, avg: 40, min: 40, max: 40, count: 1 },
        { key: "mode", ts: 60_000, avg: null, count: 3 },
      ],
    });
    expect(r.keys).toEqual(["hum", "temp"]);
    expect(r.series.t).toEqual([60, 120]);
    expect(r.series.avg).toMatchObject({ temp: [21, 23], hum: [null, 40] });
    expect(r.series.count.temp).toEqual([2, 1]);
  });

  it("reads nothing from an answer of another shape", () => {
    expect(historySeries(null).keys).toEqual([]);
    expect(historySeries({ items: [{ ts: 1, temp: 3 }] }).keys).toEqual([]);
  });

  it("gives back what bucketize computed, written as the API writes it", () => {
    const rows = fc.array(fc.record({ ts: fc.integer({ min: 0, max: 1e7 }), data: fc.record({ a: fc.integer({ min: -1000, max: 1000 }), b: fc.integer({ min: 0, max: 9 }) }, { requiredKeys: ["a"] }) }), { minLength: 1 });
    fc.assert(
      fc.property(rows, fc.constantFrom(1_000, 60_000), (samples, bucket) => {
        const local = bucketize(samples, ["a", "b"], bucket);
        const items = ["a", "b"].flatMap((key) =>
          local.t.flatMap((t, i) => (local.count[key][i] > 0 ? [{ key, ts: t * 1000, avg: local.avg[key][i], min: local.min[key][i], max: local.max[key][i], count: local.count[key][i] }] : [])),
        );
        const read = historySeries({ items });
        for (const key of read.keys) {
          read.series.t.forEach((t, i) => {
            const j = local.t.indexOf(t);
            expect(read.series.avg[key][i]).toBe(local.avg[key][j]);
            expect(read.series.count[key][i]).toBe(local.count[key][j]);
          });
        }
      }),
    );
  });
});

describe("bucketParam", () => {
  it("writes each offered width in its largest whole unit", () => {
    expect(BUCKETS_MS.map(bucketParam)).toEqual(["1s", "5s", "10s", "30s", "1m", "5m", "15m", "1h", "6h", "1d"]);
  });
});

describe("fleetSeries", () => {
  it("makes a series per device and the combined one first, on shared times", () => {
    const r = fleetSeries({
      key: "temp",
      bucket_ms: 60_000,
      devices: [
        { device_id: "b-2", items: [{ ts: 120_000, avg: 30, min: 30, max: 30, count: 1 }] },
        { device_id: "a-1", items: [{ ts: 60_000, avg: 20, min: 19, max: 21, count: 2 }, { ts: 120_000, avg: 22, min: 22, max: 22, count: 1 }] },
        { device_id: "quiet", items: [] },
      ],
      combined: [{ ts: 60_000, avg: 20, min: 19, max: 21, count: 2 }, { ts: 120_000, avg: 26, min: 22, max: 30, count: 2 }],
    });
    expect(r.keys).toEqual([ALL_DEVICES, "a-1", "b-2"]);
    expect(r.series.t).toEqual([60, 120]);
    expect(r.series.avg["b-2"]).toEqual([null, 30]);
    expect(r.series.avg[ALL_DEVICES]).toEqual([20, 26]);
    expect(r.series.max[ALL_DEVICES]).toEqual([21, 30]);
  });

  it("reads an answer without a combined series, and nothing from garbage", () => {
    expect(fleetSeries({ devices: [{ device_id: "x", items: [{ ts: 0, avg: 1, count: 1 }] }] }).keys).toEqual(["x"]);
    for (const junk of [null, 7, "x", { devices: "no" }, { devices: [null, { device_id: 3, items: [] }] }]) expect(fleetSeries(junk).keys).toEqual([]);
  });
});
