/**
 * A parked access push reaches a live MQTT session on a real hub: the registry is changed behind
 * the session's back and the push parked, as a push that failed past its retries leaves them
 * (test/runtime/access-pushes.test.ts makes one fail); the hub's requests then retry it, and the
 * device's connected MQTT.js client is held to its new access without reconnecting.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalHub } from "../../bench/lib/hub";
import { offlineEnv, root } from "../../scripts/hub.mjs";
import { api, apiJson, createDevice, eventually } from "./client";
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

describe("parked access pushes on a live hub", () => {
  it("are retried by the hub's requests and reach the connected session", async () => {
    await LocalHub.with("umbra-access-retry-", {}, async (hub) => {
      const opts = { base: hub.url, token: hub.adminToken };
      const token = await createDevice("ar-1", hub.url, hub.adminToken);
      await apiJson("PATCH", "/v1/devices/ar-1", 200, { ...opts, body: { tags: ["line:1"] } });
      await apiJson("POST", "/v1/policies", 201, { ...opts, body: { id: "ar-lines", statements: [{ effect: "allow", actions: ["publish"], topics: ["lines/${tag:line}/#"] }] } });
      await apiJson("PUT", "/v1/policies/ar-lines/attachments/device/ar-1", 204, opts);
      const device = await connectMqtt("/mqtt/ar-1", { base: hub.url, clientId: "ar-1", password: token, protocolVersion: 5 });
      expect(await publishCode(device, "lines/1/temp", "20")).toBe(0);
      expect(await publishCode(device, "lines/2/temp", "20")).toBe(0x87);

      // The tag changes in the registry, and its push did not get through: parked.
      d1(hub, `UPDATE devices SET tags = '["line:2"]' WHERE id = 'ar-1'; INSERT INTO access_pushes (kind, id, attempts, next_at) VALUES ('device', 'ar-1', 1, 0)`);
      expect(await publishCode(device, "lines/2/temp", "21")).toBe(0x87); // the live session does not know yet

      // Any request may carry the retry (at most every 10 s per isolate).
      await eventually(async () => {
        await api("GET", "/health", { base: hub.url, token: null });
        await new Promise((r) => setTimeout(r, 500));
        return (await publishCode(device, "lines/2/temp", "22")) === 0;
      }, 30_000);
      expect(await publishCode(device, "lines/1/temp", "22")).toBe(0x87);
      expect(d1(hub, `SELECT count(*) AS n FROM access_pushes`)[0]!.results[0]).toEqual({ n: 0 });
      expect(device.connected).toBe(true);
      await device.endAsync();
    });
  });
});
