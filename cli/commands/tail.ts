/**
 * `umbra tail <device>`: the device's live events (shadow, telemetry, presence, commands), one
 * line each, until Ctrl-C (or `--count` events). Reconnects when the stream drops.
 */
import type { Command } from "commander";
import { defineCommand, globalOptions } from "../command";
import { appFor, asCliError, call } from "../lib/hub";
import { print } from "../lib/output";
import { parseCount } from "../parse";

export default defineCommand((program) =>
  program
    .command("tail <device>")
    .description("print a device's live events until Ctrl-C (with --json: one JSON line each)")
    .option("--count <n>", "stop after this many events", parseCount)
    .action(async (device: string, o: { count?: number }, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      // The stream is opened again and again while the hub is away (right once tailing, silent
      // forever for a wrong URL or a stopped hub): check first that the hub answers at all.
      await call(app, app.api.GET("/health"));
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      let seen = 0;
      try {
        const events = app.events(device, {
          signal: stop.signal,
          onOpen: () => process.stderr.write(`listening to ${device} (Ctrl-C stops)\n`),
        });
        for await (const e of events) {
          print(globals, e, (ev) => `${new Date(ev.ts).toISOString()}  ${ev.type.padEnd(21)}  ${JSON.stringify(ev.data)}`);
          if (o.count !== undefined && ++seen >= o.count) break;
        }
      } catch (e) {
        throw asCliError(e, app.url);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }),
);
