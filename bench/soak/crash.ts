/**
 * `npm run soak -- crash`: the crash-durability run of test/e2e/crash.test.ts, longer and
 * randomized: `--crashes` (5) SIGKILLs of the hub's workerd, each after 2–8 s of load from
 * `--devices` (10) telemetry devices per MQTT path, `--shadows` (5) shadow writers per kind and
 * `--commands` (10) offline command targets. Prints one JSON line; exit 1 on any loss.
 */
import { Args } from "../lib/args";
import { crashRun } from "../lib/crash";
import { LocalHub, troubleLines } from "../lib/hub";
import { Progress } from "../lib/progress";

const args = new Args();
const progress = new Progress("soak crash");
const hub = LocalHub.create("umbra-soak-crash-");
let line: Record<string, unknown>;
try {
  await hub.start();
  const report = await crashRun(hub, {
    telemetryDevices: Math.round(args.num("devices", 10)),
    inflight: Math.round(args.num("inflight", 10)),
    shadowDevices: Math.round(args.num("shadows", 5)),
    commandDevices: Math.round(args.num("commands", 10)),
    crashes: Math.round(args.num("crashes", 5)),
    loadMs: () => 2000 + Math.random() * 6000,
  }, (s) => progress.set(s));
  line = { scenario: "soak-crash", ...report };
} catch (e) {
  line = { scenario: "soak-crash", ok: false, error: e instanceof Error ? e.message : String(e) };
} finally {
  progress.done();
  const trouble = troubleLines(hub.output());
  if (trouble.length) process.stderr.write(`wrangler reported:\n${trouble.join("\n")}\n`);
  await hub.dispose();
}
console.log(JSON.stringify(line));
process.exit(line.ok ? 0 : 1);
