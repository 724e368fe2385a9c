/**
 * The telemetry tables of a DeviceObject inside workerd: a table created before SenML units,
 * sums and value types existed gains its `meta` column in place, keeps its rows as they were,
 * and stores the new extras beside new rows. The latest value per key is folded in every 64
 * rows, not per batch: it must still answer every key's newest value, through pruning, rolled-back
 * batches and tables from before folding.
 */
import { describe, expect, it } from "vitest";
import { inDeviceObject } from "./helpers";
import { DeviceStore } from "../../durable-objects/device/store";

describe("DeviceStore telemetry migration", () => {
  it("adds the meta column to old tables once, keeping old rows readable", async () => {
    const result = await inDeviceObject("store-migration", (state) => {
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
      return { rows: store.queryTelemetry(0, 10_000, 10, null).rows, latest: store.latest() };
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

  it("answers each key's newest value from folded rows, rows since the fold, and rows retention pruned", async () => {
    const result = await inDeviceObject("store-fold", (state) => {
      const store = new DeviceStore(state.storage.sql);
      // "once" only in the first row; 200 batches of one row, 10 rows kept: pruned long before the end.
      store.insertTelemetry([{ ts: 1_000, data: { once: "first", n: 0 } }], 10, Number.MAX_SAFE_INTEGER, 2_000_000);
      for (let i = 1; i < 200; i++) store.insertTelemetry([{ ts: 1_000 + i, data: { n: i } }], 10, Number.MAX_SAFE_INTEGER, 2_000_000);
      const afterFolds = store.latest();
      // An older sample arriving late does not replace a newer value, folded or not.
      store.insertTelemetry([{ ts: 500, data: { n: -1, late: true } }], 10, Number.MAX_SAFE_INTEGER, 2_000_000);
      return { afterFolds, withLate: store.latest(), kept: store.queryTelemetry(0, 10_000, 1_000, null).rows.length };
    });
    expect(result.afterFolds).toEqual({ once: { ts: 1_000, value: "first" }, n: { ts: 1_199, value: 199 } });
    expect(result.withLate).toEqual({ late: { ts: 500, value: true }, once: { ts: 1_000, value: "first" }, n: { ts: 1_199, value: 199 } });
    expect(result.kept).toBeLessThan(10 + 64 + 2);
  });

  it("applies retention before a read: between folds, and on a device that stopped sending", async () => {
    const result = await inDeviceObject("store-retain", (state) => {
      const store = new DeviceStore(state.storage.sql);
      const ms = (n: number) => ({ ts: 1_000 + n, data: { n, ...(n === 0 ? { once: true } : {}) } });
      // 30 rows, 5 kept: no fold yet (one every 64 rows), so all 30 were readable.
      for (let i = 0; i < 30; i++) store.insertTelemetry([ms(i)], 5, 60_000, 2_000);
      store.retain(5, 60_000, 2_000);
      const byCount = store.queryTelemetry(0, 10_000, 1_000, null).rows.map((r) => r.data.n);
      const latest = store.latest();
      // Nothing written since: an hour later every row is past a 60 s age.
      store.retain(5, 60_000, 3_600_000);
      return { byCount, latest, byAge: store.queryTelemetry(0, 10_000, 1_000, null).rows.length, latestAfter: store.latest() };
    });
    expect(result.byCount).toEqual([25, 26, 27, 28, 29]);
    // Folded before pruning: a key only the pruned rows carried keeps its latest value.
    expect(result.latest).toEqual({ once: { ts: 1_000, value: true }, n: { ts: 1_029, value: 29 } });
    expect(result.byAge).toBe(0);
    expect(result.latestAfter).toEqual(result.latest);
  });

  it("leaves nothing stale after a rolled-back batch", async () => {
    const result = await inDeviceObject("store-rollback", (state) => {
      const store = new DeviceStore(state.storage.sql);
      for (let i = 0; i < 60; i++) store.insertTelemetry([{ ts: 1_000 + i, data: { n: i } }], 1_000, Number.MAX_SAFE_INTEGER, 2_000_000);
      // This batch would cross the fold at row 64; it fails after its writes and is rolled back.
      expect(() =>
        state.storage.transactionSync(() => {
          store.insertTelemetry(Array.from({ length: 8 }, (_, i) => ({ ts: 5_000 + i, data: { n: 1_000 + i, lost: true } })), 1_000, Number.MAX_SAFE_INTEGER, 2_000_000);
          throw new Error("after the writes");
        }),
      ).toThrow("after the writes");
      for (let i = 60; i < 70; i++) store.insertTelemetry([{ ts: 1_000 + i, data: { n: i } }], 1_000, Number.MAX_SAFE_INTEGER, 2_000_000);
      return { latest: store.latest(), seqs: store.queryTelemetry(0, 10_000, 1_000, null).rows.map((r) => r.seq) };
    });
    expect(result.latest).toEqual({ n: { ts: 1_069, value: 69 } });
    expect(result.seqs).toHaveLength(70);
  });

  it("folds no value of a batch rolled back between folds, and none lost across a new store", async () => {
    const result = await inDeviceObject("store-rollback-between-folds", (state) => {
      const insert = (store: DeviceStore, from: number, to: number) => {
        for (let i = from; i < to; i++) store.insertTelemetry([{ ts: 1_000 + i, data: { n: i, [`k${i % 3}`]: i } }], 1_000, Number.MAX_SAFE_INTEGER, 2_000_000);
      };
      const store = new DeviceStore(state.storage.sql);
      insert(store, 0, 10);
      // Rolled back far from a fold: the store counted its rows, the table does not have them.
      expect(() =>
        state.storage.transactionSync(() => {
          store.insertTelemetry([{ ts: 9_000, data: { n: -1, lost: true } }], 1_000, Number.MAX_SAFE_INTEGER, 2_000_000);
          throw new Error("after the write");
        }),
      ).toThrow("after the write");
      // Its count reaches 64 at row 63 of the table: the fold must read the rows, not use the count.
      insert(store, 10, 70);
      const firstFold = state.storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM telemetry_latest ORDER BY key").toArray();
      // As after a restart: a second store over the same table takes the rows since the fold from it.
      insert(new DeviceStore(state.storage.sql), 70, 140);
      const secondFold = state.storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM telemetry_latest ORDER BY key").toArray();
      return { firstFold, secondFold, latest: store.latest() };
    });
    expect(result.firstFold).toEqual([
      { key: "k0", value: "60" },
      { key: "k1", value: "61" },
      { key: "k2", value: "62" },
      { key: "n", value: "62" },
    ]);
    // Folded at row 127: 7 rows the second store read from the table, 57 it stored.
    expect(result.secondFold).toEqual([
      { key: "k0", value: "126" },
      { key: "k1", value: "124" },
      { key: "k2", value: "125" },
      { key: "n", value: "126" },
    ]);
    expect(result.latest).toEqual({ k0: { ts: 1_138, value: 138 }, k1: { ts: 1_139, value: 139 }, k2: { ts: 1_137, value: 137 }, n: { ts: 1_139, value: 139 } });
  });

  it("takes a table from before folding as folded up to its newest row", async () => {
    const result = await inDeviceObject("store-legacy-latest", (state) => {
      const sql = state.storage.sql;
      // As the previous version left it: latest values current, no fold marker.
      sql.exec("DELETE FROM meta WHERE key = 'telemetryLatestThrough'");
      sql.exec("DELETE FROM telemetry");
      sql.exec("DELETE FROM telemetry_latest");
      sql.exec("INSERT INTO telemetry (ts, data) VALUES (?, ?), (?, ?)", 1_000, JSON.stringify({ a: 1 }), 2_000, JSON.stringify({ a: 2, b: 1 }));
      sql.exec("INSERT INTO telemetry_latest (key, ts, value) VALUES ('a', 2000, '2'), ('b', 2000, '1'), ('gone', 100, '0')");
      const store = new DeviceStore(sql);
      store.migrate();
      store.insertTelemetry([{ ts: 3_000, data: { b: 5 } }], 1_000, Number.MAX_SAFE_INTEGER, 4_000);
      return store.latest();
    });
    // "gone" (its rows pruned long ago) is still known; a and b are the newest.
    expect(result).toEqual({ a: { ts: 2_000, value: 2 }, b: { ts: 3_000, value: 5 }, gone: { ts: 100, value: 0 } });
  });
});
