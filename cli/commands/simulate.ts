/**
 * `umbra simulate`: a fleet of simulated devices (JSON-WS, MQTT or CoAP) that report telemetry at
 * a total rate, obey deltas, complete commands and answer methods, with a live progress line on
 * stderr and a summary at the end (`--json`: one JSON object). Exits 10 when a device met errors.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { Progress } from "../../bench/lib/progress";
import { defineCommand, globalOptions } from "../command";
import { CliError, ExitCode } from "../exit-codes";
import { appFor } from "../lib/hub";
import { print } from "../lib/output";
import { parseCount, parseSeconds } from "../parse";
import { simulate } from "../simulate/run";
import type { SimProtocol } from "../simulate/sim-device";
import { SIM_PROTOCOLS } from "../simulate/sim-device";

type Flags = { count: number; rate: number; protocol: SimProtocol; prefix: string; duration?: number; batch: number };

function parseRate(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100_000) throw new InvalidArgumentError("a rate is a number of messages per second, 0 to 100000");
  return n;
}

function parseProtocol(value: string): SimProtocol {
  const p = SIM_PROTOCOLS.find((x) => x === value);
  if (p === undefined) throw new InvalidArgumentError(`one of ${SIM_PROTOCOLS.join(", ")}`);
  return p;
}

function parsePrefix(value: string): string {
  if (!/^[A-Za-z0-9_.:-]{0,100}$/.test(value)) throw new InvalidArgumentError("a prefix uses only [A-Za-z0-9_.:-]");
  return value;
}

export default defineCommand((program) =>
  program
    .command("simulate")
    .description("run simulated devices that report telemetry, obey deltas and answer commands and methods")
    .option("--count <n>", "how many devices", parseCount, 10)
    .option("--rate <msgs>", "telemetry messages per second, for the whole fleet", parseRate, 10)
    .option("--protocol <p>", `how devices connect: ${SIM_PROTOCOLS.join(", ")}`, parseProtocol, "json")
    .option("--prefix <prefix>", "device ids are <prefix>1 … <prefix>N (zero-padded); existing ones are reused", parsePrefix, "sim-")
    .option("--duration <seconds>", "report for this long, then stop (default: until Ctrl-C)", parseSeconds)
    .option("--batch <n>", "devices connecting at once while ramping up", parseCount, 50)
    .action(async (o: Flags, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const progress = new Progress("simulate");
      try {
        const summary = await simulate(app, { ...o, duration: o.duration ?? null }, progress, stop.signal);
        progress.done();
        print(globals, summary, (s) =>
          [
            `${s.connected}/${s.devices} ${s.protocol} devices connected in ${(s.connectMs / 1000).toFixed(1)} s (registered in ${(s.provisionMs / 1000).toFixed(1)} s)`,
            `${s.acked}/${s.sent} telemetry messages acknowledged in ${s.seconds} s (${s.ackedPerSecond}/s; asked for ${s.rate}/s${s.skipped ? `, ${s.skipped} skipped: the hub fell behind` : ""})`,
            `${s.deltas} deltas obeyed, ${s.commands} commands and ${s.methods} methods answered`,
            `${s.disconnects} disconnects, ${s.reconnects} reconnects, ${s.errors} errors${s.firstErrors.length ? `:\n  ${s.firstErrors.join("\n  ")}` : ""}`,
          ].join("\n"),
        );
        const missing = summary.devices - summary.connected;
        if (summary.errors > 0 || missing > 0) {
          throw new CliError(ExitCode.DEVICE_FAILED, `${summary.errors} errors${missing ? `, ${missing} devices not connected` : ""}`);
        }
      } finally {
        progress.done();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }),
);
