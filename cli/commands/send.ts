/**
 * `umbra send <device> <command>`: queue a command (delivered in order, now or when the device
 * next connects, until its TTL). `--wait` follows it to its end and exits by its outcome:
 * 0 completed, 10 rejected, failed or expired, 11 when `--timeout` passes first.
 */
import type { Command } from "commander";
import type { App } from "../../sdk/node";
import { defineCommand, globalOptions } from "../command";
import { CliError, ExitCode } from "../exit-codes";
import { appFor, call } from "../lib/hub";
import { parseJson, print } from "../lib/output";
import { parseCommandTtl, parseSeconds } from "../parse";

type Flags = { payload?: unknown; ttl?: number; wait?: boolean; timeout?: number };
type Cmd = { id: string; name: string; status: string; result?: unknown; expires_at: string };

const FINAL = new Set(["completed", "rejected", "failed", "expired"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the command until it is final (or the deadline passes: null). */
async function waitFor(app: App, device: string, cmd: Cmd, deadline: number): Promise<Cmd | null> {
  let current = cmd;
  for (let delay = 200; !FINAL.has(current.status); delay = Math.min(delay * 1.5, 2000)) {
    if (Date.now() >= deadline) return null;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    current = await call(app, app.api.GET("/v1/devices/{id}/commands/{cmdId}", { params: { path: { id: device, cmdId: cmd.id } } }));
  }
  return current;
}

export default defineCommand((program) =>
  program
    .command("send <device> <command>")
    .description("queue a command for a device (--wait: until it completes)")
    .option("--payload <json>", "the command's payload, as JSON", parseJson)
    .option("--ttl <seconds>", "expire it if not delivered and answered in this time, up to 30 days (default: the hub's, 1 day)", parseCommandTtl)
    .option("--wait", "wait for the outcome; exit 0 completed, 10 rejected/failed/expired")
    .option("--timeout <seconds>", "with --wait: give up after this long (exit 11; the command stays queued)", parseSeconds)
    .action(async (device: string, name: string, o: Flags, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const body = { name, ...(o.payload === undefined ? {} : { payload: o.payload }), ...(o.ttl === undefined ? {} : { ttlSeconds: o.ttl }) };
      const queued = await call(app, app.api.POST("/v1/devices/{id}/commands", { params: { path: { id: device } }, body }));
      if (!o.wait) {
        print(globals, queued, (c) => `${c.status} ${c.id} (${c.name}) for ${device}, expires ${c.expires_at}`);
        return;
      }
      const deadline = o.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + o.timeout * 1000;
      const done = await waitFor(app, device, queued, deadline);
      if (done === null) throw new CliError(ExitCode.DEVICE_UNREACHABLE, `${queued.id} (${name}) has no outcome after ${o.timeout} s; it stays queued`);
      print(globals, done, (c) => `${c.status} ${c.id} (${c.name})${c.result === undefined || c.result === null ? "" : `: ${JSON.stringify(c.result)}`}`);
      if (done.status !== "completed") throw new CliError(ExitCode.DEVICE_FAILED, `${done.id} (${name}) ${done.status}`);
    }),
);
