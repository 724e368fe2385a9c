/** MQTT 3.1.1 and 5.0 over WebSockets with unmodified MQTT.js, on the fast path and the relay. */
import { describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { generate } from "mqtt-packet";
import WebSocket from "ws";
import { adminToken, apiJson, createDevice, hubUrl } from "./client";
import { Inbox, channelWith, connectMqtt } from "./mqtt-client";

/** SUBACK codes of a subscription, refused ones included (MQTT.js rejects the promise form on any refusal). */
function subscribeCodes(c: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve) => {
    c.subscribe(filters, { qos: 1 }, (err, granted) => {
      const packet = (err as { packet?: { granted?: (number | { qos: number })[] } } | null)?.packet;
      resolve(packet?.granted ? packet.granted.map((g) => (typeof g === "number" ? g : g.qos)) : (granted ?? []).map((g) => g.qos));
    });
  });
}

const paths = (id: string) => [`/mqtt/${id}`, "/mqtt"] as const;

describe("AWS shadow topics", () => {
  for (const [version, path] of [[4, "fast"], [5, "relay"]] as const) {
    it(`round trip over MQTT ${version === 4 ? "3.1.1" : "5.0"} (${path} path)`, async () => {
      const id = `mq-shadow-${version}`;
      const token = await createDevice(id);
      const c = await connectMqtt(path === "fast" ? `/mqtt/${id}` : "/mqtt", { clientId: id, username: id, password: token, protocolVersion: version });
      const inbox = new Inbox(c);
      await c.subscribeAsync(`$aws/things/${id}/shadow/#`, { qos: 1 });
      await apiJson("POST", `/v1/devices/${id}/shadow`, 200, { body: { state: { desired: { color: "green" } } } });
      const [delta] = await inbox.waitFor(`$aws/things/${id}/shadow/update/delta`);
      expect(JSON.parse(delta!.payload)).toMatchObject({ state: { color: "green" }, version: 1 });

      await c.publishAsync(`$aws/things/${id}/shadow/update`, JSON.stringify({ state: { reported: { color: "green" } }, clientToken: "t-1" }), { qos: 1 });
      const accepted = await inbox.waitFor(`$aws/things/${id}/shadow/update/accepted`, 2);
      expect(JSON.parse(accepted[1]!.payload)).toMatchObject({ state: { reported: { color: "green" } }, version: 2, clientToken: "t-1" });
      const docs = await inbox.waitFor(`$aws/things/${id}/shadow/update/documents`, 2);
      expect(JSON.parse(docs[1]!.payload)).toMatchObject({ previous: { version: 1 }, current: { version: 2, state: { reported: { color: "green" } } } });

      await c.publishAsync(`$aws/things/${id}/shadow/get`, "", { qos: 1 });
      const [got] = await inbox.waitFor(`$aws/things/${id}/shadow/get/accepted`);
      expect(JSON.parse(got!.payload)).toMatchObject({ version: 2, state: { desired: { color: "green" } } });
      await c.publishAsync(`$aws/things/${id}/shadow/update`, JSON.stringify({ state: { reported: { x: 1 } }, version: 1 }), { qos: 1 });
      const [rejected] = await inbox.waitFor(`$aws/things/${id}/shadow/update/rejected`);
      expect(JSON.parse(rejected!.payload)).toMatchObject({ code: 409 });

      await c.publishAsync(`devices/${id}/telemetry`, JSON.stringify({ rpm: 900 }), { qos: 1 });
      const tm = await apiJson<{ items: { data: Record<string, unknown> }[] }>("GET", `/v1/devices/${id}/telemetry`, 200);
      expect(tm.items.at(-1)?.data).toEqual({ rpm: 900 });
      const status = await apiJson<{ status: { connected: boolean; protocol: string } }>("GET", `/v1/devices/${id}`, 200);
      expect(status.status).toMatchObject({ connected: true, protocol: "mqtt" });
      await c.endAsync();
    });
  }
});

describe("AWS shadow requests that cannot run", () => {
  it("rejects a payload that is not a JSON object (400) instead of running it without its version, and answers every shadow name", async () => {
    const id = "mq-shadow-bad";
    const token = await createDevice(id);
    const c = await connectMqtt(`/mqtt/${id}`, { clientId: id, username: id, password: token, protocolVersion: 5 });
    const inbox = new Inbox(c);
    await c.subscribeAsync(`$aws/things/${id}/shadow/#`, { qos: 1 });
    await apiJson("POST", `/v1/devices/${id}/shadow`, 200, { body: { state: { desired: { a: 1 } } } });
    await apiJson("POST", `/v1/devices/${id}/shadow`, 200, { body: { state: { desired: { a: 2 } } } });
    const shadow = `$aws/things/${id}/shadow`;
    // A stale version in valid JSON is a 409; the same with a trailing comma, or not an object, once deleted the shadow.
    for (const [n, payload] of ['{"version":1,"clientToken":"t2",}', '[{"version":1}]', '"delete"'].entries()) {
      await c.publishAsync(`${shadow}/delete`, payload, { qos: 1 });
      const got = await inbox.waitFor(`${shadow}/delete/rejected`, n + 1);
      expect(JSON.parse(got[n]!.payload)).toMatchObject({ code: 400, message: "Payload contains invalid json" });
    }
    await c.publishAsync(`${shadow}/get`, "{oops", { qos: 1 });
    expect(JSON.parse((await inbox.waitFor(`${shadow}/get/rejected`))[0]!.payload)).toMatchObject({ code: 400, message: "Payload contains invalid json" });
    await c.publishAsync(`${shadow}/update`, "{oops", { qos: 1 });
    expect(JSON.parse((await inbox.waitFor(`${shadow}/update/rejected`))[0]!.payload)).toMatchObject({ code: 400, message: "Payload contains invalid json" });
    expect(await apiJson("GET", `/v1/devices/${id}/shadow`, 200)).toMatchObject({ version: 2, state: { desired: { a: 2 } } });
    expect(inbox.messages.filter((m) => /\/(delete|get)\/accepted$/.test(m.topic)).map((m) => m.topic)).toEqual([]);

    // Names as AWS IoT takes them (with ':') work on every protocol; others are answered, not passed on as messages.
    await c.publishAsync(`${shadow}/name/fw:ota/update`, JSON.stringify({ state: { reported: { v: 3 } } }), { qos: 1 });
    expect(JSON.parse((await inbox.waitFor(`${shadow}/name/fw:ota/update/accepted`))[0]!.payload)).toMatchObject({ version: 1 });
    expect(await apiJson("GET", `/v1/devices/${id}/shadows/fw:ota`, 200)).toMatchObject({ state: { reported: { v: 3 } } });
    await c.publishAsync(`${shadow}/name/bad.name/update`, JSON.stringify({ state: { reported: { v: 3 } }, clientToken: "ct-bad-name" }), { qos: 1 });
    // Its clientToken comes back, as on every other refusal (before: none for a bad name).
    expect(JSON.parse((await inbox.waitFor(`${shadow}/name/bad.name/update/rejected`))[0]!.payload)).toMatchObject({ code: 400, clientToken: "ct-bad-name" });
    expect(inbox.messages.some((m) => m.topic === `${shadow}/name/bad.name/update`)).toBe(false);
    await c.endAsync();
  });
});

describe("authentication and access", () => {
  it("refuses a wrong password with CONNACK 0x05 (3.1.1) and 0x86 (5.0) on both paths", async () => {
    await createDevice("mq-auth");
    for (const path of paths("mq-auth")) {
      for (const [protocolVersion, code] of [[4, 5], [5, 0x86]] as const) {
        const err = await connectMqtt(path, { clientId: "mq-auth", username: "mq-auth", password: "wrong", protocolVersion }).then(
          (c: MqttClient) => {
            c.end(true);
            return null;
          },
          (e: { code?: number }) => e,
        );
        expect(err?.code, `${path} v${protocolVersion}`).toBe(code);
      }
    }
  });

  it("refuses another device's topics: SUBACK 0x87 / 0x80, PUBACK 0x87, and a 3.1.1 disconnect", async () => {
    const token = await createDevice("mq-a");
    await createDevice("mq-b");
    const v5 = await connectMqtt("/mqtt/mq-a", { clientId: "mq-a", username: "mq-a", password: token, protocolVersion: 5 });
    const granted = await subscribeCodes(v5, ["$aws/things/mq-b/shadow/#", "devices/mq-b/commands/#", "devices/+/telemetry", "#", "devices/mq-a/commands/#"]);
    expect(granted).toEqual([0x87, 0x87, 0x87, 0x87, 1]);
    const puback = await new Promise<number | undefined>((resolve) => {
      v5.publish("devices/mq-b/telemetry", "{}", { qos: 1 }, (err, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? (err as { code?: number } | undefined)?.code));
    });
    expect(puback).toBe(0x87);
    await v5.endAsync();

    const v4 = await connectMqtt("/mqtt", { clientId: "mq-a", username: "mq-a", password: token, protocolVersion: 4 });
    expect(await subscribeCodes(v4, ["$aws/things/mq-b/shadow/#"])).toEqual([0x80]);
    const closed = new Promise<void>((r) => v4.once("close", () => r()));
    v4.publish("devices/mq-b/telemetry", "{}", { qos: 1 });
    await closed;
    v4.end(true);
  });
});

describe("delivery", () => {
  it("delivers a QoS 1 message published while a persistent session was offline", async () => {
    const tSub = await createDevice("mq-off-sub");
    const tPub = await createDevice("mq-off-pub");
    await channelWith("offline-ch", ["mq-off-sub", "mq-off-pub"]);
    const sub = await connectMqtt("/mqtt/mq-off-sub", { clientId: "mq-off-sub", password: tSub, clean: false, protocolVersion: 4 });
    await sub.subscribeAsync("channels/offline-ch/messages/#", { qos: 1 });
    await sub.endAsync();

    const pub = await connectMqtt("/mqtt", { clientId: "mq-off-pub", password: tPub, protocolVersion: 5 });
    await pub.publishAsync("channels/offline-ch/messages/alerts", "while you were away", { qos: 1 });
    await pub.endAsync();

    const back = await connectMqtt("/mqtt/mq-off-sub", { clientId: "mq-off-sub", password: tSub, clean: false, protocolVersion: 4 });
    const inbox = new Inbox(back);
    const [m] = await inbox.waitFor("channels/offline-ch/messages/alerts");
    expect(m).toMatchObject({ payload: "while you were away", qos: 1 });
    await back.endAsync();
  });

  it("delivers QoS 2 exactly once", async () => {
    const tSub = await createDevice("mq-q2-sub");
    const tPub = await createDevice("mq-q2-pub");
    await channelWith("q2-ch", ["mq-q2-sub", "mq-q2-pub"]);
    const sub = await connectMqtt("/mqtt/mq-q2-sub", { clientId: "mq-q2-sub", password: tSub, protocolVersion: 5 });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync("channels/q2-ch/messages", { qos: 2 });
    const pub = await connectMqtt("/mqtt/mq-q2-pub", { clientId: "mq-q2-pub", password: tPub, protocolVersion: 5 });
    for (let i = 0; i < 20; i++) await pub.publishAsync("channels/q2-ch/messages", `m${i}`, { qos: 2 });
    const got = await inbox.waitFor("channels/q2-ch/messages", 20);
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.on("channels/q2-ch/messages").map((m) => m.payload)).toEqual(got.map((_m, i) => `m${i}`));
    expect(got.every((m) => m.qos === 2)).toBe(true);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("publishes the will when the socket drops, and not on a clean DISCONNECT", async () => {
    const tWill = await createDevice("mq-will");
    const tObs = await createDevice("mq-will-obs");
    await channelWith("will-ch", ["mq-will", "mq-will-obs"]);
    const obs = await connectMqtt("/mqtt/mq-will-obs", { clientId: "mq-will-obs", password: tObs, protocolVersion: 4 });
    const inbox = new Inbox(obs);
    await obs.subscribeAsync("channels/will-ch/messages/status", { qos: 1 });
    const will = { topic: "channels/will-ch/messages/status", payload: Buffer.from("mq-will offline"), qos: 1 as const, retain: false };
    const polite = await connectMqtt("/mqtt/mq-will", { clientId: "mq-will", password: tWill, protocolVersion: 4, will });
    await polite.endAsync();
    const rude = await connectMqtt("/mqtt", { clientId: "mq-will", password: tWill, protocolVersion: 4, will });
    rude.stream.destroy();
    const [m] = await inbox.waitFor("channels/will-ch/messages/status");
    expect(m!.payload).toBe("mq-will offline");
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.on("channels/will-ch/messages/status")).toHaveLength(1);
    rude.end(true);
    await obs.endAsync();
  });

  it("publishes a delayed will (v5 Will Delay Interval) even when another of the object's alarms fires first", async () => {
    const id = "mq-will-delay";
    const token = await createDevice(id);
    await channelWith("will-delay-ch", [id]);
    const app = await connectMqtt("/mqtt", { clientId: "mq-will-delay-app", username: "app", password: adminToken(), protocolVersion: 5 });
    const inbox = new Inbox(app);
    // A presence subscriber: the device's connect then writes an outbox row, whose resume alarm
    // (5 s later) fires before the will is due. Before: that alarm cleared the will's deadline.
    await app.subscribeAsync(["channels/will-delay-ch/messages/gone", `devices/${id}/presence`], { qos: 1 });
    const will = { topic: "channels/will-delay-ch/messages/gone", payload: Buffer.from("gone"), qos: 1 as const, retain: false, properties: { willDelayInterval: 6 } };
    const c = await connectMqtt(`/mqtt/${id}`, { clientId: id, password: token, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 }, will });
    await inbox.waitFor(`devices/${id}/presence`);
    const dropped = Date.now();
    c.stream.destroy();
    const [m] = await inbox.waitFor("channels/will-delay-ch/messages/gone", 1, 20_000);
    expect(m!.payload).toBe("gone");
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(5_500);
    c.end(true);
    await app.endAsync();
  });

  for (const [path, version] of [["fast", 4], ["relay", 5]] as const) {
    it(`stores a will sent to the device's own telemetry topic when the socket drops (${path} path)`, async () => {
      // The will is routed outside any client message (the object sees the link close): its
      // telemetry batch must still be written, not wait for a next message that never comes.
      const id = `mq-will-tm-${path}`;
      const token = await createDevice(id);
      const will = { topic: `devices/${id}/telemetry`, payload: Buffer.from(JSON.stringify({ online: 0 })), qos: 1 as const, retain: false };
      const c = await connectMqtt(path === "fast" ? `/mqtt/${id}` : "/mqtt", { clientId: id, password: token, protocolVersion: version, will });
      await c.publishAsync(`devices/${id}/telemetry`, JSON.stringify({ online: 1 }), { qos: 1 });
      c.stream.destroy();
      let items: { data: Record<string, unknown> }[] = [];
      for (let i = 0; i < 50 && items.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        items = (await apiJson<{ items: { data: Record<string, unknown> }[] }>("GET", `/v1/devices/${id}/telemetry`, 200)).items;
      }
      expect(items.map((i) => i.data.online).sort()).toEqual([0, 1]);
      c.end(true);
    });
  }

  it("keeps a retained message for late subscribers and clears it with an empty retained publish", async () => {
    const tPub = await createDevice("mq-ret-pub");
    const tLate = await createDevice("mq-ret-late");
    await channelWith("ret-ch", ["mq-ret-pub", "mq-ret-late"]);
    const pub = await connectMqtt("/mqtt/mq-ret-pub", { clientId: "mq-ret-pub", password: tPub, protocolVersion: 5 });
    await pub.publishAsync("channels/ret-ch/messages/config", "v1", { qos: 1, retain: true });
    const late = await connectMqtt("/mqtt", { clientId: "mq-ret-late", password: tLate, protocolVersion: 5 });
    const inbox = new Inbox(late);
    await late.subscribeAsync("channels/ret-ch/messages/#", { qos: 1 });
    const [m] = await inbox.waitFor("channels/ret-ch/messages/config");
    expect(m).toMatchObject({ payload: "v1", retain: true });
    await late.unsubscribeAsync("channels/ret-ch/messages/#");
    await pub.publishAsync("channels/ret-ch/messages/config", "", { qos: 1, retain: true });
    await late.subscribeAsync("channels/ret-ch/messages/#", { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.on("channels/ret-ch/messages/config")).toHaveLength(1);
    await Promise.all([pub.endAsync(), late.endAsync()]);
  });
});

describe("retained messages on a device's own topics", () => {
  for (const path of ["direct", "relay"] as const) {
    it(`keeps the last retained telemetry for late subscribers, and clears it with an empty retained publish (${path})`, async () => {
      const id = `mq-ownret-${path}`;
      const token = await createDevice(id);
      const dev = await connectMqtt(path === "direct" ? `/mqtt/${id}` : "/mqtt", { clientId: id, password: token, protocolVersion: 4 });
      await dev.publishAsync(`devices/${id}/telemetry`, JSON.stringify({ v: 1 }), { qos: 1, retain: true });
      await dev.publishAsync(`devices/${id}/telemetry`, JSON.stringify({ v: 2 }), { qos: 1, retain: true });
      await dev.publishAsync(`devices/${id}/telemetry/temp`, "21.5", { qos: 0, retain: false });
      // Before: the retain flag on a device's own topic was dropped, and late subscribers got nothing [MQTT-3.3.1-5].
      const app = await connectMqtt("/mqtt", { clientId: `${id}-app`, username: "app", password: adminToken(), protocolVersion: 5 });
      const inbox = new Inbox(app);
      await app.subscribeAsync(`devices/${id}/telemetry/#`, { qos: 1 });
      const [m] = await inbox.waitFor(`devices/${id}/telemetry`);
      expect(m).toMatchObject({ payload: JSON.stringify({ v: 2 }), retain: true });
      await new Promise((r) => setTimeout(r, 300));
      expect(inbox.messages.map((x) => x.topic)).toEqual([`devices/${id}/telemetry`]);
      // The value is telemetry too.
      const items = (await apiJson<{ items: { data: { v?: number } }[] }>("GET", `/v1/devices/${id}/telemetry`, 200)).items;
      expect(items.map((i) => i.data.v)).toEqual([1, 2, undefined]);
      await dev.publishAsync(`devices/${id}/telemetry`, "", { qos: 1, retain: true });
      const later = await connectMqtt("/mqtt", { clientId: `${id}-later`, username: "app", password: adminToken(), protocolVersion: 5 });
      const laterInbox = new Inbox(later);
      await later.subscribeAsync(`devices/${id}/telemetry/#`, { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(laterInbox.messages).toEqual([]);
      await Promise.all([dev.endAsync(), app.endAsync(), later.endAsync()]);
    });
  }

  it("keeps what an app publishes retained on a device's topic for late subscribers", async () => {
    const id = "mq-appret";
    await createDevice(id);
    const app = await connectMqtt("/mqtt", { clientId: "mq-appret-app", username: "app", password: adminToken(), protocolVersion: 5 });
    await app.publishAsync(`devices/${id}/status`, "maintenance", { qos: 1, retain: true });
    const late = await connectMqtt("/mqtt", { clientId: "mq-appret-late", username: "app", password: adminToken(), protocolVersion: 5, clean: true });
    const inbox = new Inbox(late);
    await late.subscribeAsync(`devices/${id}/status`, { qos: 1 });
    // Before: acknowledged, and a late subscriber got nothing [MQTT-3.3.1-5].
    const [m] = await inbox.waitFor(`devices/${id}/status`);
    expect(m).toMatchObject({ payload: "maintenance", retain: true });
    await Promise.all([app.endAsync(), late.endAsync()]);
  });
});

describe("keep-alive", () => {
  it("answers PINGREQ and closes a silent client after 1.5 × Keep Alive, publishing its will (relay and fast path)", async () => {
    const tDev = await createDevice("mq-ka");
    const tObs = await createDevice("mq-ka-obs");
    await channelWith("ka-ch", ["mq-ka", "mq-ka-obs"]);
    const obs = await connectMqtt("/mqtt/mq-ka-obs", { clientId: "mq-ka-obs", password: tObs, protocolVersion: 4 });
    const inbox = new Inbox(obs);
    await obs.subscribeAsync("channels/ka-ch/messages/#", { qos: 1 });

    for (const path of ["/mqtt", "/mqtt/mq-ka"]) {
      const raw = new WebSocket(`${hubUrl().replace("http", "ws")}${path}`, ["mqtt"]);
      const frames: Buffer[] = [];
      raw.on("message", (d: Buffer) => frames.push(d));
      await new Promise((r) => raw.once("open", r));
      const closed = new Promise<number>((r) => raw.once("close", (code: number) => r(code)));
      raw.send(generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "mq-ka", clean: true, keepalive: 1, username: "mq-ka", password: Buffer.from(tDev), will: { topic: "channels/ka-ch/messages/gone", payload: Buffer.from(path), qos: 1, retain: false } }));
      raw.send(Uint8Array.of(0xc0, 0x00)); // PINGREQ
      const started = Date.now();
      await closed;
      // CONNACK and PINGRESP came back; then silence ended the connection after ~1.5 s.
      expect(frames.map((f) => f[0])).toEqual(expect.arrayContaining([0x20, 0xd0]));
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      await inbox.waitFor("channels/ka-ch/messages/gone", path === "/mqtt" ? 1 : 2, 15_000);
    }
    expect(inbox.on("channels/ka-ch/messages/gone").map((m) => m.payload)).toEqual(["/mqtt", "/mqtt/mq-ka"]);
    await obs.endAsync();
  });
});
