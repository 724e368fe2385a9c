/**
 * The telemetry tables of a DeviceObject inside workerd: a table created before SenML units,
 * sums and value types existed gains its `meta` column in place, keeps its rows as they were,
 * and stores the new extras beside new rows.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { DeviceStore } from "../../durable-objects/device/store";

describe("DeviceStore telemetry migration", () => {
  it("adds the meta column to old tables once, keeping old rows readable", async () => {
    const stub = env.DEVICE.get(env.DEVICE.idFromName("store-migration"));
    const result = await runInDurableObject(stub, (_o, state) => {
      const sql = state.storage.sql;
      // the tables as they were before the meta column
      sql.exec("DROP TABLE IF EXISTS telemetry");
      sql.exec("DROP TABLE IF EXISTS telemetry_latest");
      sql.exec("CREATE TABLE telemetry (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, data TEXT NOT NULL)");
      sql.exec("CREATE TABLE telemetry_latest (key TEXT PRIMARY KEY, ts INTEGER NOT NULL, value TEXT NOT NULL)");
      sql.exec("INSERT INTO telemetry (ts, data) VALUES (?, ?)", 1000, JSON.stringify({ temp: 20 }));
      sql.exec("INSERT INTO telemetry_latest (key, ts, value) VALUES (?, ?, ?)", "temp", 1000, "20");
      const store = new DeviceStore(sql);
      store.migrate();
      store.migrate(); // idempotent
      store.insertTelemetry([{ ts: 2000, data: { "m:e": 1.5, "m:fw": "AAEC" }, units: { "m:e": "kWh" }, sums: { "m:e": 40 }, types: { "m:fw": "data" } }], 1000, Number.MAX_SAFE_INTEGER, 3000);
      return { rows: store.queryTelemetry(0, 10_000, 10, null), latest: store.latest() };
    });
    expect(result.rows).toEqual([
      { seq: 1, ts: 1000, data: { temp: 20 } },
      { seq: 2, ts: 2000, data: { "m:e": 1.5, "m:fw": "AAEC" }, units: { "m:e": "kWh" }, sums: { "m:e": 40 }, types: { "m:fw": "data" } },
    ]);
    expect(result.latest).toEqual({
      temp: { ts: 1000, value: 20 },
      "m:e": { ts: 2000, value: 1.5, unit: "kWh", sum: 40 },
      "m:fw": { ts: 2000, value: "AAEC", type: "data" },
    });
  });
});
