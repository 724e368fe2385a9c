/**
 * `npm run soak -- simulate`: `umbra simulate --count 1000 --rate 200 --duration 30` (change
 * with `--count`, `--rate`, `--duration`, `--protocol`, `--batch`) run as the CLI itself against
 * a hub of its own. Prints one JSON line (the simulator's summary, wall time, hub RSS at the end);
 * exit 1 unless every device connected and nothing failed or dropped.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Args } from "../lib/args";
import { treeRssBytes } from "../lib/cpu";
import { soak } from "../lib/soak";
import { root } from "../../scripts/hub.mjs";

const args = new Args();
const count = Math.round(args.num("count", 1000));
const flags = ["--count", String(count), "--rate", String(args.num("rate", 200)), "--duration", String(args.num("duration", 30)), "--batch", String(Math.round(args.num("batch", 50)))];
const protocol = args.choice("protocol", ["json", "mqtt", "coap"] as const, "json");
await soak("soak-simulate", async (hub, progress) => {
  progress.done();
  const started = Date.now();
  // The simulator's own progress line goes straight to our stderr.
  const child = spawn(process.execPath, [join(root, "cli", "umbra.mjs"), "--json", "simulate", ...flags, "--protocol", protocol, "--prefix", "soak-"], {
    cwd: root,
    env: { ...process.env, UMBRA_URL: hub.url, UMBRA_TOKEN: hub.adminToken },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  const summary = JSON.parse(stdout || "{}") as { connected?: number; errors?: number; disconnects?: number };
  const ok = code === 0 && summary.connected === count && summary.errors === 0 && summary.disconnects === 0;
  return [{ scenario: "soak-simulate", ok, exitCode: code, wallSeconds: Math.round((Date.now() - started) / 100) / 10, hubRssMb: Math.round(treeRssBytes(hub.pid) / 1e5) / 10, ...summary }];
});
