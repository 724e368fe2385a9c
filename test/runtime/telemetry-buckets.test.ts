/**
 * Telemetry history buckets computed by SQLite inside a DeviceObject agree with a model
 * computed in plain code from the same raw rows (fast-check), for every aggregate, bucket width
 * and key, including keys with dots, slashes and spaces and values of every JSON type.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { DeviceStore } from "../../durable-objects/device/store";
import type { Bucket } from "../../durable-objects/device/telemetry-buckets";
import type { JsonObject, JsonValue } from "../../protocols/json-value";

const KEYS = ["temp", "a.b", "lamp-1/energy", "x y", "ü"];

/** The buckets of one key, from the rows in insertion order (first and last by time, then insertion). */
function model(rows: { ts: number; data: JsonObject }[], key: string, from: number, to: number, bucketMs: number): Bucket[] {
  const out = new Map<number, { values: JsonValue[] }>();
  for (const r of [...rows].sort((a, b) => a.ts - b.ts)) {
    if (r.ts < from || r.ts >= to || !Object.hasOwn(r.data, key) || r.data[key] === null) continue;
    const start = r.ts - (r.ts % bucketMs);
    const b = out.get(start) ?? { values: [] };
    b.values.push(r.data[key]!);
    out.set(start, b);
  }
  return [...out.entries()]
    .sort(([a], [b]) => a - b)
    .map(([ts, { values }]) => {
      const nums = values.filter((v): v is number => typeof v === "number");
      const sum = nums.reduce((a, b) => a + b, 0);
      return {
        ts,
        count: values.length,
        numeric: nums.length,
        avg: nums.length ? sum / nums.length : null,
        min: nums.length ? Math.min(...nums) : null,
        max: nums.length ? Math.max(...nums) : null,
        sum: nums.length ? sum : null,
        first: values[0]!,
        last: values[values.length - 1]!,
      };
    });
}

const value: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
  { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)) },
  // Every exponent (1e-300 … 1e300): SQLite's reading of such text misses the last bit of one in eight.
  { weight: 2, arbitrary: fc.double({ min: -1e300, max: 1e300, noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)) },
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.constantFrom("k", "v"), fc.integer(), { maxKeys: 2 }),
);
const row = fc.record({ ts: fc.integer({ min: 1_000_000, max: 1_010_000 }), data: fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 3 }) });

/**
 * Equal within rounding: SQLite sums in another order, and its text-to-double conversion can
 * be one unit in the last place off (1e-171), where JavaScript's is exact.
 */
function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe("telemetry buckets", () => {
  it("match a model computed from the raw rows", async () => {
    const stub = env.DEVICE.get(env.DEVICE.idFromName("buckets-model"));
    await runInDurableObject(stub, (_o, state) => {
      const store = new DeviceStore(state.storage.sql);
      fc.assert(
        fc.property(
          fc.array(row, { maxLength: 60 }),
          fc.constantFrom(1_000, 7_000, 60_000),
          fc.integer({ min: 995_000, max: 1_005_000 }),
          fc.integer({ min: 1, max: 20_000 }),
          (rows, bucketMs, from, span) => {
            state.storage.sql.exec("DELETE FROM telemetry");
            store.insertTelemetry(rows as { ts: number; data: JsonObject }[], 1_000_000, Number.MAX_SAFE_INTEGER, 2_000_000);
            const got = store.buckets({ keys: KEYS, from, to: from + span, bucketMs });
            for (const { key, buckets } of got) {
              const want = model(rows as { ts: number; data: JsonObject }[], key, from, from + span, bucketMs);
              expect(buckets.map((b) => [b.ts, b.count, b.numeric])).toEqual(want.map((b) => [b.ts, b.count, b.numeric]));
              buckets.forEach((b, i) => {
                const w = want[i]!;
                for (const a of ["avg", "sum"] as const) expect(close(b[a], w[a]), `${a} ${b[a]} vs ${w[a]}`).toBe(true);
                // Stored values come back exactly (before: 1.5e308 came back as 1.4999999999999998e308).
                for (const a of ["min", "max", "first", "last"] as const) expect(b[a], a).toEqual(w[a]);
                if (b.numeric === 1) expect([b.avg, b.sum]).toEqual([b.min, b.min]);
              });
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  it("averages values whose sum is past a double's range (found by an outside run: avg was null)", async () => {
    const stub = env.DEVICE.get(env.DEVICE.idFromName("buckets-huge"));
    await runInDurableObject(stub, (_o, state) => {
      const store = new DeviceStore(state.storage.sql);
      const rows = [1e308, 1e308, 7.25e307].map((z, i) => ({ ts: 1_000_000 + i, data: { z } }));
      store.insertTelemetry(rows, 1_000_000, Number.MAX_SAFE_INTEGER, 2_000_000);
      const [b] = store.buckets({ keys: ["z"], from: 1_000_000, to: 1_001_000, bucketMs: 1_000 })[0]!.buckets;
      expect(Number.isFinite(b!.avg)).toBe(true);
      expect(close(b!.avg, 1e308 / 3 + 1e308 / 3 + 7.25e307 / 3)).toBe(true);
      expect(b).toMatchObject({ count: 3, numeric: 3, min: 7.25e307, max: 1e308 });
      expect(Number.isFinite(b!.sum)).toBe(false); // unrepresentable: null in JSON
      // a running total past the range, the sum itself not (an outside run: sum null)
      state.storage.sql.exec("DELETE FROM telemetry");
      store.insertTelemetry([1e308, 1e308, -1e308, -1e308, 5].map((w, i) => ({ ts: 1_000_000 + i, data: { w } })), 1_000_000, Number.MAX_SAFE_INTEGER, 2_000_000);
      const [c] = store.buckets({ keys: ["w"], from: 1_000_000, to: 1_001_000, bucketMs: 1_000 })[0]!.buckets;
      expect(c).toMatchObject({ count: 5, avg: 1, sum: 5 });
    });
  });

  it("picks the exact least and greatest of neighbouring doubles SQLite reads as one (found by an outside run)", async () => {
    const up = (x: number) => {
      const b = new BigInt64Array(new Float64Array([x]).buffer);
      b[0] = b[0]! + (x >= 0 ? 1n : -1n);
      return new Float64Array(b.buffer)[0]!;
    };
    const stub = env.DEVICE.get(env.DEVICE.idFromName("buckets-neighbours"));
    await runInDurableObject(stub, (_o, state) => {
      const store = new DeviceStore(state.storage.sql);
      // (Not the smallest subnormals: one step from -5e-324 is -0, which JSON stores as 0.)
      const xs = [-1.3572961567376262e-205, -2.995392369703725e-248, 1.5e308, 1e-300, 0.1, ...fc.sample(fc.double({ min: -1e300, max: 1e300, noNaN: true }).filter((d) => Math.abs(d) > 1e-307), 60)];
      const rows = xs.flatMap((x, i) => [up(x), x, up(x)].map((v, j) => ({ ts: 1_000_000 + i * 1_000 + j, data: { v } })));
      store.insertTelemetry(rows, 1_000_000, Number.MAX_SAFE_INTEGER, 2_000_000);
      const got = store.buckets({ keys: ["v"], from: 1_000_000, to: 1_000_000 + xs.length * 1_000, bucketMs: 1_000 })[0]!.buckets;
      // Before: min was x + 1 ulp in about one bucket in ten (SQLite reads some pairs as equal, some swapped).
      expect(got.map((b) => [b.min, b.max])).toEqual(xs.map((x) => [Math.min(x, up(x)), Math.max(x, up(x))]));
    });
  });

  it("answers a bucket of 150,000 equal values (its candidates for min and max were spread into one call: RangeError)", async () => {
    const stub = env.DEVICE.get(env.DEVICE.idFromName("buckets-equal"));
    await runInDurableObject(stub, (_o, state) => {
      const store = new DeviceStore(state.storage.sql);
      store.insertTelemetry(Array.from({ length: 150_000 }, (_, i) => ({ ts: 1_000_000 + (i % 1_000), data: { v: 7 } })), 1_000_000, Number.MAX_SAFE_INTEGER, 2_000_000);
      const [b] = store.buckets({ keys: ["v"], from: 1_000_000, to: 1_001_000, bucketMs: 1_000 })[0]!.buckets;
      expect(b).toMatchObject({ count: 150_000, min: 7, max: 7 });
    });
  });

  it("answers the device route with the asked aggregates and refuses too many buckets", async () => {
    await fetchJson("POST", "/v1/devices", 201, { id: "buckets-route" });
    const t0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000; // a minute boundary within retention
    const body = [0, 10_000, 70_000, 75_000].map((d, i) => ({ ts: t0 + d, data: { temp: 20 + i, state: i % 2 ? "on" : "off" } }));
    await fetchJson("POST", "/v1/devices/buckets-route/telemetry", 202, body);
    const q = `from=${t0}&to=${t0 + 120_000}&bucket=1m`;
    const got = await fetchJson("GET", `/v1/devices/buckets-route/telemetry?${q}&keys=temp&agg=avg,min,max,count,first,last,sum`, 200);
    expect(got).toEqual({
      items: [
        { key: "temp", ts: t0, avg: 20.5, min: 20, max: 21, count: 2, first: 20, last: 21, sum: 41 },
        { key: "temp", ts: t0 + 60_000, avg: 22.5, min: 22, max: 23, count: 2, first: 22, last: 23, sum: 45 },
      ],
    });
    const all = await fetchJson("GET", `/v1/devices/buckets-route/telemetry?${q}&agg=count,last`, 200);
    expect(all).toEqual({
      items: [
        { key: "state", ts: t0, count: 2, last: "on" },
        { key: "state", ts: t0 + 60_000, count: 2, last: "on" },
        { key: "temp", ts: t0, count: 2, last: 21 },
        { key: "temp", ts: t0 + 60_000, count: 2, last: 23 },
      ],
    });
    const raw = await fetchJson("GET", `/v1/devices/buckets-route/telemetry?from=${t0}&to=${t0 + 120_000}&limit=2`, 200);
    expect(raw).toMatchObject({ items: [{ ts: t0 }, { ts: t0 + 10_000 }], next_cursor: expect.any(String) });
    const wide = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]));
    await fetchJson("POST", "/v1/devices", 201, { id: "buckets-wide" });
    await fetchJson("POST", "/v1/devices/buckets-wide/telemetry", 202, { ts: t0, data: wide });
    expect(await fetchJson("GET", `/v1/devices/buckets-wide/telemetry?${q}`, 400)).toMatchObject({ detail: expect.stringMatching(/33 keys; name at most 32/) });
    expect(await fetchJson("GET", `/v1/devices/buckets-wide/telemetry?${q}&keys=k1,k32&agg=sum`, 200)).toEqual({ items: [{ key: "k1", ts: t0, sum: 1 }, { key: "k32", ts: t0, sum: 32 }] });
    for (const bad of [`from=${t0}&to=${t0 + 86_400_000}&bucket=1s`, `${q.replace("1m", "2d")}`, `${q.replace("1m", "500ms")}`, `${q}&agg=median`, `${q}&keys=a"b`, `from=${t0}&to=${t0}&bucket=1m`]) {
      const r = await fetchJson("GET", `/v1/devices/buckets-route/telemetry?${bad}`, 400);
      expect(r, bad).toMatchObject({ type: expect.stringMatching(/invalid-request/) });
    }
  });
});

async function fetchJson(method: string, path: string, status: number, body?: unknown): Promise<unknown> {
  const { call, json } = await import("./helpers");
  return json(call(method, path, { body }), status);
}
