/**
 * `npm run soak -- crash`: the crash-durability run of test/e2e/crash.test.ts, longer and
 * randomized: `--crashes` (5) SIGKILLs of the hub's workerd, each after 2–8 s of load from
 * `--devices` (10) telemetry devices per MQTT path, `--shadows` (5) shadow writers per kind and
 * `--commands` (10) offline command targets; `--group 3` makes the subscriber a shared group of three
 * persistent sessions (`$share/…`). Prints one JSON line; exit 1 on any loss.
 */
import { Args } from "../lib/args";
import { crashRun } from "../lib/crash";
import { soak } from "../lib/soak";

const args = new Args();
await soak("soak-crash", async (hub, progress) => {
  const report = await crashRun(hub, {
    telemetryDevices: Math.round(args.num("devices", 10)),
    inflight: Math.round(args.num("inflight", 10)),
    shadowDevices: Math.round(args.num("shadows", 5)),
    commandDevices: Math.round(args.num("commands", 10)),
    crashes: Math.round(args.num("crashes", 5)),
    watchGroup: Math.round(args.num("group", 1)),
    loadMs: () => 2000 + Math.random() * 6000,
  }, (s) => progress.set(s));
  return [{ scenario: "soak-crash", ...report }];
});
