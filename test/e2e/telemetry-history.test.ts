/** Telemetry history against a real hub: a device's buckets match its raw rows; the fleet query over a group and a tag. */
import { describe, expect, it } from "vitest";
import { apiJson, createDevice } from "./client";

interface Sample {
  ts: number;
  data: Record<string, unknown>;
}

describe("telemetry history", () => {
  it("answers bucket=1s without from: its default range is what a query may span, not a 400", async () => {
    await createDevice("hist-1s");
    await apiJson("POST", "/v1/devices/hist-1s/telemetry", 202, { body: { data: { v: 2 } } });
    const r = await apiJson<{ items: { key: string; count: number }[] }>("GET", "/v1/devices/hist-1s/telemetry?bucket=1s&agg=count", 200);
    expect(r.items).toMatchObject([{ key: "v", count: 1 }]);
  });

  it("answers buckets that match the raw rows, per device and across a group or tag", async () => {
    const t0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const values: Record<string, number[]> = { "hist-1": [10, 20, 30, 40, 50, 60], "hist-2": [1, 2, 3, 4, 5, 6] };
    await apiJson("POST", "/v1/groups", 201, { body: { name: "hist-g" } });
    for (const [id, vs] of Object.entries(values)) {
      const token = await createDevice(id);
      await apiJson("PATCH", `/v1/devices/${id}`, 200, { body: { tags: ["hist-t"] } });
      await apiJson("PUT", `/v1/groups/hist-g/devices/${id}`, 204);
      // two samples per 20 s, three 20 s buckets
      await apiJson("POST", `/v1/devices/${id}/telemetry`, 202, { token, body: vs.map((v, i) => ({ ts: t0 + i * 10_000, data: { power: v, mode: i < 3 ? "eco" : "boost" } })) });
    }

    const raw = await apiJson<{ items: Sample[] }>("GET", `/v1/devices/hist-1/telemetry?from=${t0}&to=${t0 + 60_000}`, 200);
    // raw as bucketed: a backwards or empty range is a 400 (before: 200 with no items)
    for (const range of [`from=${t0}&to=${t0 - 1}`, `from=${t0}&to=${t0}`]) {
      expect(await apiJson<{ detail: string }>("GET", `/v1/devices/hist-1/telemetry?${range}`, 400)).toMatchObject({ detail: "to must be after from" });
    }
    const q = `from=${t0}&to=${t0 + 60_000}&bucket=20s`;
    const buckets = await apiJson<{ items: { ts: number; key: string; avg: number; min: number; max: number; count: number; sum: number; last: unknown }[] }>(
      "GET",
      `/v1/devices/hist-1/telemetry?${q}&keys=power,mode&agg=avg,min,max,count,sum,last`,
      200,
    );
    // the model, from the raw rows the same route gives without bucket=
    const power = buckets.items.filter((b) => b.key === "power");
    expect(power).toHaveLength(3);
    for (const b of power) {
      const inside = raw.items.filter((s) => s.ts >= b.ts && s.ts < b.ts + 20_000).map((s) => s.data.power as number);
      expect(b).toEqual({ key: "power", ts: b.ts, count: inside.length, sum: inside.reduce((a, v) => a + v, 0), avg: inside.reduce((a, v) => a + v, 0) / inside.length, min: Math.min(...inside), max: Math.max(...inside), last: inside.at(-1) });
    }
    expect(buckets.items.filter((b) => b.key === "mode").map((b) => [b.count, b.avg, b.last])).toEqual([
      [2, null, "eco"],
      [2, null, "boost"],
      [2, null, "boost"],
    ]);

    const fleet = await apiJson<{ key: string; bucket_ms: number; devices: { device_id: string; items: { ts: number; count: number; sum: number }[] }[]; combined: { ts: number; avg: number; count: number; min: number; max: number }[] }>(
      "GET",
      `/v1/telemetry?group=hist-g&key=power&${q}&agg=avg,min,max,count,sum&combine=true`,
      200,
    );
    expect(fleet.key).toBe("power");
    expect(fleet.bucket_ms).toBe(20_000);
    expect(fleet.devices.map((d) => [d.device_id, d.items.map((b) => b.sum)])).toEqual([
      ["hist-1", [30, 70, 110]],
      ["hist-2", [3, 7, 11]],
    ]);
    expect(fleet.combined).toEqual([
      { ts: t0, avg: 33 / 4, min: 1, max: 20, count: 4, sum: 33 },
      { ts: t0 + 20_000, avg: 77 / 4, min: 3, max: 40, count: 4, sum: 77 },
      { ts: t0 + 40_000, avg: 121 / 4, min: 5, max: 60, count: 4, sum: 121 },
    ]);
    const byTag = await apiJson<{ devices: { device_id: string }[]; combined?: unknown }>("GET", `/v1/telemetry?tag=hist-t&key=power&${q}`, 200);
    expect(byTag.devices.map((d) => d.device_id)).toEqual(["hist-1", "hist-2"]);
    expect(byTag.combined).toBeUndefined();
    await apiJson("GET", `/v1/telemetry?group=hist-g&tag=hist-t&key=power&${q}`, 400);
    await apiJson("GET", `/v1/telemetry?group=no-such-group&key=power&${q}`, 404);
  });
});
