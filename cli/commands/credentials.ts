/**
 * `umbra credentials list|issue|rotate|revoke`: a device's tokens. A token is printed once, when
 * it is issued or rotated; the hub keeps only its hash.
 */
import type { Command } from "commander";
import { defineCommand, globalOptions } from "../command";
import { appFor, call } from "../lib/hub";
import { print, table } from "../lib/output";
import { parseSeconds } from "../parse";

type Credential = { id: string; status: string; created_at: string; expires_at: string | null };
type Issued = Credential & { token: string };

const issued = (c: Issued) => `credential ${c.id}\ntoken ${c.token}  (shown once)`;

export default defineCommand((program) => {
  const credentials = program.command("credentials").description("issue, rotate, revoke and list a device's tokens");

  credentials
    .command("list <device>")
    .description("a device's credentials, newest first (metadata only)")
    .action(async (device: string, _o: unknown, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const items: Credential[] = [];
      let cursor: string | undefined;
      do {
        const page = await call(app, app.api.GET("/v1/devices/{id}/credentials", { params: { path: { id: device }, query: { limit: 100, cursor } } }));
        items.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      print(globals, items, (list) => table(["ID", "STATUS", "CREATED", "EXPIRES"], list.map((c) => [c.id, c.status, c.created_at, c.expires_at ?? ""])));
    });

  credentials
    .command("issue <device>")
    .description("issue another token for a device")
    .action(async (device: string, _o: unknown, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      print(globals, await call(app, app.api.POST("/v1/devices/{id}/credentials", { params: { path: { id: device } } })), issued);
    });

  credentials
    .command("rotate <device> <credential>")
    .description("replace a token: the old one keeps working for the grace period")
    .option("--grace <seconds>", "how long the old token still works (default: the hub's, 60 s; 0 ends it now)", parseSeconds)
    .action(async (device: string, credential: string, o: { grace?: number }, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const body = o.grace === undefined ? {} : { grace_seconds: Math.round(o.grace) };
      const rotated = await call(app, app.api.POST("/v1/devices/{id}/credentials/{credId}/rotate", { params: { path: { id: device, credId: credential } }, body }));
      print(globals, rotated, (r) => `${issued(r.credential)}\nthe old one (${r.previous.id}) works until ${r.previous.expires_at ?? "now"}`);
    });

  credentials
    .command("revoke <device> <credential>")
    .description("revoke a token at once (its connections are closed)")
    .action(async (device: string, credential: string, _o: unknown, cmd: Command) => {
      const globals = globalOptions(cmd);
      const app = appFor(globals);
      const revoked = await call(app, app.api.DELETE("/v1/devices/{id}/credentials/{credId}", { params: { path: { id: device, credId: credential } } }));
      print(globals, revoked, (c) => `revoked ${c.id}`);
    });
});
