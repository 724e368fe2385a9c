/**
 * Child side of netns.ts, already inside `unshare -n`: brings `lo` up, starts mosquitto,
 * runs the scenario's `measure` against it and prints the figures as one JSON line.
 * Usage (by netns.ts only): node --import tsx bench/lib/netns-peer.ts <scenario> [options]
 */
import { execFileSync } from "node:child_process";
import { Args } from "./args";
import { startMosquitto } from "./brokers";
import { FRAMINGS, useFraming } from "./mqtt-clients";
import { Progress } from "./progress";
import { loadScenario } from "./scenario";

const args = new Args();
const name = args.positional[0];
if (!name) throw new Error("usage: netns-peer.ts <scenario> [options]");
execFileSync("ip", ["link", "set", "lo", "up"]);
useFraming(args.choice("framing", FRAMINGS, "stream"));
const scenario = await loadScenario(name);
if (!scenario.measure) throw new Error(`${name} has no broker measurement`);
const broker = await startMosquitto();
const progress = new Progress(`${name} mosquitto`);
try {
  const figures = await scenario.measure(broker, args, progress);
  progress.done();
  console.log(JSON.stringify(figures));
} finally {
  progress.done();
  await broker.close();
}
process.exit(0);
