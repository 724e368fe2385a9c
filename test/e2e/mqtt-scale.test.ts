/** Many clients, a restart, and a second MQTT implementation (Python paho-mqtt). */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { apiJson, createDevice, hubUrl } from "./client";
import { Inbox, channelWith, connectMqtt } from "./mqtt-client";
import { applyMigrations, freePort, startWrangler } from "../../scripts/hub.mjs";

describe("200 clients through one channel", () => {
  it("every subscriber gets every message, nothing lost", async () => {
    const n = 200;
    const ids = Array.from({ length: n }, (_v, i) => `fan-${String(i).padStart(3, "0")}`);
    const tokens = await Promise.all(ids.map((id) => createDevice(id)));
    await apiJson("POST", "/v1/channels", 201, { body: { id: "fan-ch" } });
    for (const id of ids) await apiJson("PUT", `/v1/channels/fan-ch/devices/${id}`, 204);
    const clients: MqttClient[] = [];
    const inboxes: Inbox[] = [];
    // Local workerd now and then leaves a freshly created object unanswered when many are
    // created at once (seen here: 2-3 of 200, for ~30 s; see the issue note). A client that
    // gets no CONNACK retries once, as a real device would.
    const open = async (id: string, j: number, token: string): Promise<MqttClient> => {
      const opts = { clientId: id, password: token, protocolVersion: j % 3 === 0 ? 5 : 4, connectTimeout: 20_000 } as const;
      const path = j % 2 ? `/mqtt/${id}` : "/mqtt";
      return connectMqtt(path, opts).catch(() => connectMqtt(path, opts));
    };
    for (let i = 0; i < n; i += 20) {
      clients.push(...(await Promise.all(ids.slice(i, i + 20).map((id, j) => open(id, i + j, tokens[i + j]!)))));
    }
    for (const c of clients) inboxes.push(new Inbox(c));
    await Promise.all(clients.map((c) => c.subscribeAsync("channels/fan-ch/messages/#", { qos: 1 })));
    const publishers = clients.slice(0, 5);
    const perPublisher = 4;
    await Promise.all(
      publishers.map(async (c, p) => {
        for (let k = 0; k < perPublisher; k++) await c.publishAsync(`channels/fan-ch/messages/p${p}`, `${p}:${k}`, { qos: 1 });
      }),
    );
    const total = publishers.length * perPublisher;
    const deadline = Date.now() + 60_000;
    while (inboxes.some((b) => b.messages.length < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const counts = inboxes.map((b) => b.messages.length);
    expect(counts.filter((c) => c !== total)).toEqual([]);
    for (const b of inboxes) expect(new Set(b.messages.map((m) => m.payload)).size).toBe(total);
    await Promise.all(clients.map((c) => c.endAsync()));
  }, 180_000);
});

describe("persistent sessions across a restart", () => {
  it("delivers a QoS 1 message queued for an offline session after the server restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "umbra-mqtt-restart-"));
    const envFile = join(dir, "vars.env");
    writeFileSync(envFile, 'ADMIN_TOKEN="restart-admin-restart-admin-restart-admin"\n');
    const persistTo = join(dir, "state");
    applyMigrations(persistTo);
    const admin = { token: "restart-admin-restart-admin-restart-admin" };
    try {
      let hub = await startWrangler({ port: await freePort(), persistTo, envFile });
      const tSub = await createDevice("rs-sub", hub.url, admin.token);
      const tPub = await createDevice("rs-pub", hub.url, admin.token);
      await channelWith("rs-ch", ["rs-sub", "rs-pub"], hub.url, admin.token);
      const sub = await connectMqtt("/mqtt/rs-sub", { base: hub.url, clientId: "rs-sub", password: tSub, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
      await sub.subscribeAsync("channels/rs-ch/messages/#", { qos: 1 });
      await sub.endAsync();
      const pub = await connectMqtt("/mqtt", { base: hub.url, clientId: "rs-pub", password: tPub, protocolVersion: 4 });
      await pub.publishAsync("channels/rs-ch/messages/survives", "kept across restart", { qos: 1 });
      await pub.endAsync();
      await hub.stop();

      hub = await startWrangler({ port: await freePort(), persistTo, envFile });
      const back = await connectMqtt("/mqtt/rs-sub", { base: hub.url, clientId: "rs-sub", password: tSub, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
      const inbox = new Inbox(back);
      const [m] = await inbox.waitFor("channels/rs-ch/messages/survives");
      expect(m).toMatchObject({ payload: "kept across restart", qos: 1 });
      await back.endAsync();
      await hub.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("Python paho-mqtt over websockets", () => {
  const python = "/usr/bin/python3";
  const hasPaho = spawnSync(python, ["-c", "import paho.mqtt.client"]).status === 0;

  it("connects with mosquitto-style parameters, round-trips the AWS shadow, and is refused with a wrong password", async () => {
    expect(hasPaho, "python3-paho-mqtt must be installed (.ci/run installs it)").toBe(true);
    const token = await createDevice("paho-1");
    const url = new URL(hubUrl());
    const r = spawnSync(python, ["test/clients/paho_shadow.py", url.hostname, url.port, "paho-1", token], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { bad_rc: number; accepted: { version: number }; delta: { state: Record<string, unknown> } };
    expect(out.bad_rc).toBe(5);
    expect(out.delta.state).toEqual({ mode: "auto" });
    expect(out.accepted.version).toBe(2);
    const doc = await apiJson<{ state: { reported: Record<string, unknown> } }>("GET", "/v1/devices/paho-1/shadow", 200);
    expect(doc.state.reported).toEqual({ mode: "auto" });
  }, 90_000);
});
