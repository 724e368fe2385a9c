/**
 * Parked pushes reach live MQTT sessions on a real hub: the registry is changed behind the
 * sessions' backs and the pushes parked, as pushes that failed past their retries leave them
 * (test/runtime/parked-pushes.test.ts makes them fail); the hub's requests then retry them. A
 * connected MQTT.js device is held to its new access without reconnecting, a device whose
 * credential was revoked and an app whose API key was deleted are disconnected (v5 0x87).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalHub } from "../../bench/lib/hub";
import { offlineEnv, root } from "../../scripts/hub.mjs";
import { api, apiJson, createDevice, eventually } from "./client";
import type { MqttClient } from "mqtt";
import { connectMqtt, publishCode } from "./mqtt-client";

/** Runs SQL on the hub's local D1 from outside, as `wrangler d1 execute` does. */
function d1(hub: LocalHub, command: string): { results: Record<string, unknown>[] }[] {
  const r = spawnSync(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "d1", "execute", "DB", "--local", "--persist-to", join(hub.dir, "state"), "--json", "--command", command], {
    cwd: root,
    env: offlineEnv({ CI: "true" }),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`d1 execute failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { results: Record<string, unknown>[] }[];
}

/** The reason code of the server's DISCONNECT, once it comes. */
const disconnected = (c: MqttClient) => new Promise<number>((resolve) => c.once("disconnect", (p) => resolve(p.reasonCode ?? 0)));

describe("parked pushes on a live hub", () => {
  it("are retried by the hub's requests and reach the connected sessions", async () => {
    await LocalHub.with("umbra-parked-", {}, async (hub) => {
      const opts = { base: hub.url, token: hub.adminToken };
      const token = await createDevice("ar-1", hub.url, hub.adminToken);
      await apiJson("PATCH", "/v1/devices/ar-1", 200, { ...opts, body: { tags: ["line:1"] } });
      await apiJson("POST", "/v1/policies", 201, { ...opts, body: { id: "ar-lines", statements: [{ effect: "allow", actions: ["publish"], topics: ["lines/${tag:line}/#"] }] } });
      await apiJson("PUT", "/v1/policies/ar-lines/attachments/device/ar-1", 204, opts);
      const device = await connectMqtt("/mqtt/ar-1", { base: hub.url, clientId: "ar-1", password: token, protocolVersion: 5 });
      expect(await publishCode(device, "lines/1/temp", "20")).toBe(0);
      expect(await publishCode(device, "lines/2/temp", "20")).toBe(0x87);

      const token2 = await createDevice("ar-2", hub.url, hub.adminToken);
      const [cred] = (await apiJson<{ items: { id: string }[] }>("GET", "/v1/devices/ar-2/credentials", 200, opts)).items;
      const revokedDevice = await connectMqtt("/mqtt/ar-2", { base: hub.url, clientId: "ar-2", password: token2, protocolVersion: 5 });
      const key = await apiJson<{ id: string; key: string }>("POST", "/v1/api-keys", 201, { ...opts, body: { name: "ar-app", scopes: ["devices:read"] } });
      const app = await connectMqtt("/mqtt", { base: hub.url, clientId: "ar-app", username: "app", password: key.key, protocolVersion: 5 });
      const session = d1(hub, `SELECT session_id AS id FROM app_sessions WHERE owner = 'key:${key.id}'`)[0]!.results[0]!.id as string;
      const cut = { device: disconnected(revokedDevice), app: disconnected(app) };

      // What three REST changes store, with their pushes parked: a tag changed, a credential
      // revoked, an API key deleted (and the record of its sessions with it).
      d1(
        hub,
        `UPDATE devices SET tags = '["line:2"]' WHERE id = 'ar-1';
         UPDATE device_credentials SET revoked_at = ${Date.now()} WHERE id = '${cred!.id}';
         DELETE FROM app_sessions WHERE owner = 'key:${key.id}'; DELETE FROM api_keys WHERE id = '${key.id}';
         INSERT INTO parked_pushes (kind, id, args, attempts, next_at) VALUES
           ('device-access', 'ar-1', '', 1, 0),
           ('credential-revoked', 'ar-2', '${JSON.stringify([cred!.id, null])}', 1, 0),
           ('session-revoked', '${session}', '["revoked"]', 1, 0)`,
      );
      expect(await publishCode(device, "lines/2/temp", "21")).toBe(0x87); // the live sessions do not know yet
      expect(revokedDevice.connected && app.connected).toBe(true);

      // Any request may carry the retry (at most every 10 s per isolate).
      await eventually(async () => {
        await api("GET", "/health", { base: hub.url, token: null });
        await new Promise((r) => setTimeout(r, 500));
        return (await publishCode(device, "lines/2/temp", "22")) === 0;
      }, 30_000);
      expect(await publishCode(device, "lines/1/temp", "22")).toBe(0x87);
      expect(device.connected).toBe(true);
      expect(await cut.device).toBe(0x87);
      expect(await cut.app).toBe(0x87);
      expect(d1(hub, `SELECT count(*) AS n FROM parked_pushes`)[0]!.results[0]).toEqual({ n: 0 });
      await device.endAsync();
    });
  });
});
