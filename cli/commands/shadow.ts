/**
 * `umbra shadow get|set-desired|history`: a device's shadow (`--name` for a named one). Desired
 * state is merged as AWS IoT does: objects merge, `null` deletes a field.
 */
import type { Command } from "commander";
import { defineCommand, globalOptions } from "../command";
import { appFor, call } from "../lib/hub";
import { parseJsonObject, print, table } from "../lib/output";
import { parseCount } from "../parse";

type NameOption = { name?: string };
type Version = { version: number; timestamp?: number; state?: unknown };

export default defineCommand((program) => {
  const shadow = program.command("shadow").description("read and change device shadows");

  shadow
    .command("get <device>")
    .description("the shadow document: desired, reported, delta, metadata, version")
    .option("--name <shadow>", "a named shadow (default: the classic one)")
    .action(async (device: string, o: NameOption, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const doc =
        o.name === undefined
          ? await call(app, app.api.GET("/v1/devices/{id}/shadow", { params: { path: { id: device } } }))
          : await call(app, app.api.GET("/v1/devices/{id}/shadows/{name}", { params: { path: { id: device, name: o.name } } }));
      print(globals, doc);
    });

  shadow
    .command("set-desired")
    .description("merge a JSON object into the desired state (null deletes a field)")
    .argument("<device>")
    .argument("<state>", "a JSON object, e.g. '{\"color\":\"red\"}'", parseJsonObject)
    .option("--name <shadow>", "a named shadow (default: the classic one)")
    .option("--version <n>", "only if the shadow is at this version (else exit 6)", parseCount)
    .action(async (device: string, desired: Record<string, unknown>, o: NameOption & { version?: number }, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const body = { state: { desired }, ...(o.version === undefined ? {} : { version: o.version }) };
      const answer =
        o.name === undefined
          ? await call(app, app.api.POST("/v1/devices/{id}/shadow", { params: { path: { id: device } }, body }))
          : await call(app, app.api.POST("/v1/devices/{id}/shadows/{name}", { params: { path: { id: device, name: o.name } }, body }));
      print(globals, answer, (a) => `version ${String((a as { version?: unknown }).version)}`);
    });

  shadow
    .command("history <device>")
    .description("the newest versions of the shadow, oldest first")
    .option("--name <shadow>", "a named shadow (default: the classic one)")
    .option("--limit <n>", "at most this many versions, the newest", parseCount, 20)
    .action(async (device: string, o: NameOption & { limit: number }, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      // History pages run forward from the oldest kept version (at most SHADOW_HISTORY_VERSIONS):
      // read them all and keep the newest, so the answer ends at the present.
      let all: Version[] = [];
      let cursor: string | undefined;
      do {
        const query = { limit: 100, cursor };
        const page =
          o.name === undefined
            ? await call(app, app.api.GET("/v1/devices/{id}/shadow/history", { params: { path: { id: device }, query } }))
            : await call(app, app.api.GET("/v1/devices/{id}/shadows/{name}/history", { params: { path: { id: device, name: o.name }, query } }));
        all = all.concat(page.items as Version[]);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      const items = all.slice(-o.limit);
      print(globals, { items, next_cursor: null }, () =>
        items.length === 0 ? "no versions" : table(["VERSION", "TIME", "STATE"], items.map((v) => [String(v.version), v.timestamp ? new Date(v.timestamp * 1000).toISOString() : "", JSON.stringify(v.state ?? null)])),
      );
    });
});
