/**
 * `umbra call <device> <method>`: a direct method, answered by the device while it waits. Prints
 * the device's payload; exits 10 when it answered a status of 400 or more, 11 when it is offline
 * or did not answer within `--timeout`.
 */
import type { Command } from "commander";
import { ApiError, ok } from "../../sdk/node";
import { defineCommand, globalOptions } from "../command";
import { CliError, ExitCode } from "../exit-codes";
import { appFor, asCliError } from "../lib/hub";
import { parseJson, print } from "../lib/output";
import { parseMethodTimeout } from "../parse";

export default defineCommand((program) =>
  program
    .command("call <device> <method>")
    .description("call a direct method on a connected device and print its answer")
    .option("--payload <json>", "the method's payload, as JSON", parseJson)
    .option("--timeout <seconds>", "how long the device may take (1–300, default 30)", parseMethodTimeout)
    .action(async (device: string, method: string, o: { payload?: unknown; timeout?: number }, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const body = { ...(o.payload === undefined ? {} : { payload: o.payload }), ...(o.timeout === undefined ? {} : { timeoutSeconds: o.timeout }) };
      let answer: { status: number; payload?: unknown };
      try {
        answer = await ok(app.api.POST("/v1/devices/{id}/methods/{name}", { params: { path: { id: device, name: method } }, body }));
      } catch (e) {
        if (e instanceof ApiError && (e.type === "device-offline" || e.type === "gateway-timeout")) throw new CliError(ExitCode.DEVICE_UNREACHABLE, e.message);
        throw asCliError(e, app.url);
      }
      print(globals, answer, (a) => JSON.stringify(a.payload ?? null, null, 2));
      if (answer.status >= 400) throw new CliError(ExitCode.DEVICE_FAILED, `the device answered ${answer.status}`);
    }),
);
