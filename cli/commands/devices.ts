/**
 * `umbra devices create|list|get|delete`: the device registry. `create` prints the device and its
 * first token (shown once by the hub).
 */
import type { Command } from "commander";
import { defineCommand, globalOptions } from "../command";
import { appFor, call } from "../lib/hub";
import { collect, collectKeyValue, print, table } from "../lib/output";
import { parseCount } from "../parse";

type Device = { id: string; name: string | null; tags: string[]; enabled: boolean; status?: Record<string, unknown> };

const online = (d: Device) => (d.status?.connected === true ? `online (${String(d.status.protocol ?? "?")})` : "offline");

export default defineCommand((program) => {
  const devices = program.command("devices").description("register, list, read and delete devices");

  devices
    .command("create <id>")
    .description("register a device; prints it and its token (shown once)")
    .option("--name <name>", "a display name")
    .option("--tag <tag>", "a tag (repeatable)", collect)
    .option("--attr <key=value>", "an attribute (repeatable)", collectKeyValue)
    .option("--disabled", "register it disabled")
    .action(async (id: string, o: { name?: string; tag?: string[]; attr?: Record<string, string>; disabled?: boolean }, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const body = { id, name: o.name, tags: o.tag, attributes: o.attr, enabled: o.disabled ? false : undefined };
      const created = await call(app, app.api.POST("/v1/devices", { body }));
      print(globals, created, (c) => `created ${c.device.id}\ntoken ${c.credential.token}  (credential ${c.credential.id}; shown once)`);
    });

  devices
    .command("list")
    .description("list devices, filtered by tag, group or id prefix")
    .option("--tag <tag>", "only devices with this tag")
    .option("--group <group>", "only members of this group")
    .option("--prefix <prefix>", "only ids starting with this")
    .option("--limit <n>", "at most this many (default: all, page by page)", parseCount)
    .action(async (o: { tag?: string; group?: string; prefix?: string; limit?: number }, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const items: Device[] = [];
      let cursor: string | undefined;
      do {
        const pageSize = Math.min(100, o.limit === undefined ? 100 : o.limit - items.length);
        const page = await call(app, app.api.GET("/v1/devices", { params: { query: { tag: o.tag, group: o.group, prefix: o.prefix, limit: pageSize, cursor } } }));
        items.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined && (o.limit === undefined || items.length < o.limit));
      print(globals, items, (list) =>
        list.length === 0 ? "no devices" : table(["ID", "NAME", "STATUS", "TAGS"], list.map((d) => [d.id, d.name ?? "", d.enabled ? online(d) : "disabled", d.tags.join(",")])),
      );
    });

  devices
    .command("get <id>")
    .description("show a device, with its connection status")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      print(globals, await call(app, app.api.GET("/v1/devices/{id}", { params: { path: { id } } })));
    });

  devices
    .command("delete <id>")
    .description("delete a device, its credentials and all its state")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      await call(app, app.api.DELETE("/v1/devices/{id}", { params: { path: { id } } }));
      print(globals, { deleted: id }, () => `deleted ${id}`);
    });
});
