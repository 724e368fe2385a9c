/**
 * State survives a stop and start of the hub: shadows, their history, telemetry, the registry;
 * and the connections that went with a killed hub end as MQTT says they must: with their wills.
 */
import { describe, expect, it } from "vitest";
import { apiJson, createDevice, eventually } from "./client";
import { Inbox, channelWith, connectMqtt } from "./mqtt-client";
import { LocalHub } from "../../bench/lib/hub";
import { JsonSocket } from "./json-socket";

describe("restart", () => {
  it("keeps the shadow, its history and telemetry across a server restart", async () => {
    await LocalHub.with("umbra-restart-", {}, async (hub) => {
      const admin = hub.adminToken;
      const opts = (base: string) => ({ base, token: admin });
      const token = await createDevice("rs-1", hub.url, admin);
      const ts = Date.now() - 1000;
      await apiJson("POST", "/v1/devices/rs-1/shadow", 200, { ...opts(hub.url), body: { state: { desired: { mode: "eco" } } } });
      await apiJson("POST", "/v1/devices/rs-1/shadow", 200, { ...opts(hub.url), body: { state: { reported: { mode: "eco" } } } });
      await apiJson("POST", "/v1/devices/rs-1/telemetry", 202, { base: hub.url, token, body: { data: { kwh: 1.5 }, ts } });
      await hub.stop();

      await hub.start();
      const doc = await apiJson<{ version: number; state: Record<string, unknown> }>("GET", "/v1/devices/rs-1/shadow", 200, { base: hub.url, token });
      expect(doc.version).toBe(2);
      expect(doc.state).toMatchObject({ desired: { mode: "eco" }, reported: { mode: "eco" } });
      const hist = await apiJson<{ items: { version: number }[] }>("GET", "/v1/devices/rs-1/shadow/history", 200, opts(hub.url));
      expect(hist.items.map((d) => d.version)).toEqual([1, 2]);
      const tm = await apiJson<{ items: { ts: number; data: unknown }[] }>("GET", "/v1/devices/rs-1/telemetry", 200, opts(hub.url));
      expect(tm.items).toEqual([{ ts, data: { kwh: 1.5 } }]);
    });
  }, 180_000);

  it("serves an MQTT device whose clean session was still connected when the hub stopped", async () => {
    await LocalHub.with("umbra-restart-", {}, async (hub) => {
      const admin = hub.adminToken;
      const token = await createDevice("rs-2", hub.url, admin);
      const before = await connectMqtt("/mqtt/rs-2", { base: hub.url, clientId: "rs-2", password: token });
      await before.subscribeAsync("devices/rs-2/commands/#", { qos: 1 });
      // The hub stops under the live connection: its stored session still says connected.
      await hub.stop();
      before.end(true);

      await hub.start();
      // Nothing told the object its socket went with the old process: it must not say connected.
      const stale = await apiJson<{ status: { connected: boolean; disconnected_at: string | null } }>("GET", "/v1/devices/rs-2", 200, { base: hub.url, token: admin });
      expect(stale.status.connected).toBe(false);
      expect(stale.status.disconnected_at).not.toBeNull();
      // Before: CONNACK 0, then the first packet found the new session deleted and the socket closed.
      const after = await connectMqtt("/mqtt/rs-2", { base: hub.url, clientId: "rs-2", password: token });
      const closed = new Promise<string>((resolve) => after.once("close", () => resolve("closed")));
      const granted = after.subscribeAsync("devices/rs-2/commands/#", { qos: 1 }).then((g) => g.map((s) => s.qos).join());
      expect(await Promise.race([granted, closed])).toBe("1");
      await after.publishAsync("devices/rs-2/telemetry", JSON.stringify({ kwh: 2 }), { qos: 1 });
      after.end(true);
    });
  }, 180_000);

  it("sees the outage of an MQTT device that reconnects the moment the hub is back (presence rules fire on it)", async () => {
    await LocalHub.with("umbra-restart-", {}, async (hub) => {
      const admin = hub.adminToken;
      const token = await createDevice("rs-3", hub.url, admin);
      await apiJson("POST", "/v1/rules", 201, {
        base: hub.url,
        token: admin,
        body: { id: "rs-3-offline", name: "offline", sql: "SELECT * FROM presence WHERE connected = false", scope: { kind: "device", deviceId: "rs-3" }, actions: [{ type: "command", name: "went-offline" }] },
      });
      const before = await connectMqtt("/mqtt/rs-3", { base: hub.url, clientId: "rs-3", password: token, protocolVersion: 5 });
      await hub.stop();
      before.end(true);
      await hub.start();
      // Back at once, before anything else asks about the device: its new socket exists when the
      // object first wakes. Before, that socket was taken for the old connection, and the outage
      // never happened as far as presence, rules, streams and webhooks knew.
      const after = await connectMqtt("/mqtt/rs-3", { base: hub.url, clientId: "rs-3", password: token, protocolVersion: 5 });
      await eventually(async () => {
        const list = await apiJson<{ items: { name: string }[] }>("GET", "/v1/devices/rs-3/commands", 200, { base: hub.url, token: admin });
        return list.items.some((c) => c.name === "went-offline");
      }, 15_000);
      expect((await apiJson<{ status: { connected: boolean } }>("GET", "/v1/devices/rs-3", 200, { base: hub.url, token: admin })).status.connected).toBe(true);
      after.end(true);
    });
  }, 180_000);

  it("keeps last_seen within about a second of the last message of a JSON and an MQTT device across kill -9", async () => {
    await LocalHub.with("umbra-last-seen-", {}, async (hub) => {
      const admin = hub.adminToken;
      const json = await JsonSocket.open(await createDevice("rs-ls-json", hub.url, admin), { base: hub.url });
      const mqtt = await connectMqtt("/mqtt/rs-ls-mqtt", { base: hub.url, clientId: "rs-ls-mqtt", password: await createDevice("rs-ls-mqtt", hub.url, admin) });
      let last = 0;
      for (let n = 0; n < 16; n++) {
        json.send({ type: "telemetry", id: n, data: { n } });
        await json.next((m) => m.type === "ack" && m.id === n);
        await mqtt.publishAsync("devices/rs-ls-mqtt/telemetry", JSON.stringify({ n }), { qos: 1 });
        last = Date.now();
        await new Promise((r) => setTimeout(r, 250));
      }
      await hub.crash();
      mqtt.end(true);
      await hub.start();
      for (const id of ["rs-ls-json", "rs-ls-mqtt"]) {
        const { status } = await apiJson<{ status: { connected: boolean; last_seen: string } }>("GET", `/v1/devices/${id}`, 200, { base: hub.url, token: admin });
        expect(status.connected).toBe(false);
        // Before: the connect time, stored again only by the presence check (every 10 min).
        expect(Date.parse(status.last_seen), id).toBeGreaterThanOrEqual(last - 2_000);
        expect(Date.parse(status.last_seen), id).toBeLessThanOrEqual(last);
      }
    });
  }, 180_000);

  it("does not resend to a persistent app session, after a graceful restart, what it acknowledged before going quiet", async () => {
    await LocalHub.with("umbra-restart-", {}, async (hub) => {
      const admin = hub.adminToken;
      const token = await createDevice("rs-4", hub.url, admin);
      const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { base: hub.url, token: admin, body: { name: "rs-4", scopes: ["devices:read"] } })).key;
      const appOpts = { base: hub.url, clientId: "rs-4-app", username: "app", password: key, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } } as const;
      const app = await connectMqtt("/mqtt", appOpts);
      const inbox = new Inbox(app);
      await app.subscribeAsync("devices/rs-4/telemetry", { qos: 1 });
      const dev = await connectMqtt("/mqtt/rs-4", { base: hub.url, clientId: "rs-4", password: token });
      for (let n = 0; n < 3; n++) await dev.publishAsync("devices/rs-4/telemetry", JSON.stringify({ n }), { qos: 1 });
      await inbox.waitFor("devices/rs-4/telemetry", 3); // MQTT.js acknowledges each at once
      await new Promise((r) => setTimeout(r, 2_000)); // quiet: nothing else comes to write the acknowledgements with
      await hub.stop();
      app.end(true);
      dev.end(true);
      await hub.start();
      const again = await connectMqtt("/mqtt", appOpts);
      const replay = new Inbox(again);
      await new Promise((r) => setTimeout(r, 1_500));
      // Before: the last acknowledged message came again (DUP) after every restart.
      expect(replay.messages).toEqual([]);
      again.end(true);
    });
  }, 180_000);

  it("publishes the wills of clients whose connections went with a killed hub and never came back", async () => {
    // The link check every 2 s instead of 10 min.
    await LocalHub.with("umbra-wills-", { PRESENCE_CHECK_SECONDS: "2" }, async (hub) => {
      const admin = hub.adminToken;
      const base = hub.url;
      const tokens = { direct: await createDevice("wl-direct", base, admin), relay: await createDevice("wl-relay", base, admin) };
      await channelWith("wl", ["wl-direct", "wl-relay"], base, admin);
      const will = (who: string) => ({ topic: `channels/wl/messages/will/${who}`, payload: Buffer.from(`${who} gone`), qos: 1 as const, retain: false });
      const watcher = () => connectMqtt("/mqtt", { base, clientId: "wl-watch", username: "app", password: admin, clean: false });
      const watch = await watcher();
      await watch.subscribeAsync("channels/wl/messages/will/#", { qos: 1 });
      const clients = [
        await connectMqtt("/mqtt/wl-direct", { base, clientId: "wl-direct", password: tokens.direct, will: will("direct") }),
        await connectMqtt("/mqtt", { base, clientId: "wl-relay", password: tokens.relay, will: will("relay") }),
        await connectMqtt("/mqtt", { base, clientId: "wl-app", username: "app", password: admin, protocolVersion: 5, will: will("app") }),
      ];
      // SIGKILL: no socket closes, nothing is told; the clients never come back.
      await hub.crash();
      for (const c of clients) c.end(true);
      watch.end(true);
      await hub.start();
      // Before: the sessions stayed "connected" in storage for good, and no will was ever sent.
      const inbox = new Inbox(await watcher());
      for (const who of ["direct", "relay", "app"]) {
        const [m] = await inbox.waitFor(`channels/wl/messages/will/${who}`, 1, 30_000);
        expect(m!.payload).toBe(`${who} gone`);
      }
    });
  }, 180_000);
});
