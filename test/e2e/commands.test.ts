/**
 * Commands end to end: one durable, ordered queue per device, delivered at once to a JSON
 * device, MQTT.js devices on both paths (5.0 and 3.1.1) and a CoAP observer; queued for an
 * offline device and delivered in order on its next connect; never delivered after its TTL;
 * results in the API and the live stream. Direct methods: methods.test.ts.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { adminToken, api, apiJson, createDevice, eventually, hubUrl } from "./client";
import { JsonSocket, type Message } from "./json-socket";
import { Inbox, connectMqtt } from "./mqtt-client";
import { RawMqtt } from "./raw-mqtt";
import { CoapWsClient, codeText } from "../clients/coap-ws-client";

type Command = { id: string; status: string; result: unknown; protocol: string | null; name: string };
const coapUrl = () => `${hubUrl().replace("http", "ws")}/.well-known/coap`;

function send(device: string, body: Record<string, unknown>) {
  return apiJson<Command>("POST", `/v1/devices/${device}/commands`, 201, { body });
}

async function finished(device: string, id: string): Promise<Command> {
  return eventually(async () => {
    const c = await apiJson<Command>("GET", `/v1/devices/${device}/commands/${id}`, 200);
    return c.status !== "queued" && c.status !== "delivered" ? c : null;
  });
}

describe("commands", () => {
  it("reach a JSON device, MQTT.js devices on both paths (5.0 and 3.1.1) and a CoAP observer at once, and their results come back", async () => {
    const [tJson, tFast, tRelay, tCoap] = await Promise.all(["cmd-json", "cmd-fast", "cmd-relay", "cmd-coap"].map((id) => createDevice(id)));
    // The live stream of one device sees the command's life.
    const stream = new WebSocket(`${hubUrl().replace("http", "ws")}/v1/devices/cmd-json/events`, { headers: { authorization: `Bearer ${adminToken()}` } });
    const events: string[] = [];
    stream.on("message", (d) => events.push((JSON.parse(String(d)) as { type: string }).type));
    await new Promise((r) => stream.once("open", r));

    const json = await JsonSocket.open(tJson!);
    const fast = await connectMqtt("/mqtt/cmd-fast", { clientId: "cmd-fast", password: tFast, protocolVersion: 5 });
    const relay = await connectMqtt("/mqtt", { clientId: "cmd-relay", password: tRelay, protocolVersion: 4 });
    for (const [c, id] of [[fast, "cmd-fast"], [relay, "cmd-relay"]] as const) {
      c.on("message", (topic, payload, packet) => {
        if (!topic.startsWith(`devices/${id}/commands/`)) return;
        // v5: the id is the correlation data; 3.1.1: the last topic level.
        const cmdId = packet.properties?.correlationData ? Buffer.from(packet.properties.correlationData).toString() : topic.split("/").at(-1)!;
        c.publish(`devices/${id}/commands/${cmdId}/result`, JSON.stringify({ status: "completed", result: { echo: JSON.parse(payload.toString()) } }), { qos: 1 });
      });
      await c.subscribeAsync(`devices/${id}/commands/#`, { qos: 1 });
    }
    const coap = await CoapWsClient.connect(coapUrl());
    const notes: { id: string; name: string; payload: unknown }[] = [];
    await coap.request({ method: "GET", path: "shadow", query: [`auth=${tCoap}`] });
    await coap.observe("commands", (m) => notes.push(JSON.parse(Buffer.from(m.payload).toString()) as (typeof notes)[number]));

    const sent = await Promise.all([
      send("cmd-json", { name: "blink", payload: { times: 3 } }),
      send("cmd-fast", { name: "blink", payload: { times: 1 } }),
      send("cmd-relay", { name: "blink", payload: { times: 2 } }),
      send("cmd-coap", { name: "blink", payload: { times: 4 } }),
    ]);
    const m = (await json.next((x) => x.type === "command")) as Message & { id: string; payload: unknown };
    expect(m).toMatchObject({ name: "blink", payload: { times: 3 }, id: sent[0]!.id });
    json.send({ type: "command.result", id: m.id, status: "completed", result: { ok: true } });
    const note = await eventually(async () => notes.find((n) => n.id === sent[3]!.id));
    expect(note).toMatchObject({ name: "blink", payload: { times: 4 } });
    const posted = await coap.request({ method: "POST", path: `commands/${note.id}`, contentFormat: 50, payload: JSON.stringify({ status: "rejected", result: "busy" }) });
    expect(codeText(posted.code)).toBe("2.04");

    const results = await Promise.all(sent.map((c, i) => finished(["cmd-json", "cmd-fast", "cmd-relay", "cmd-coap"][i]!, c.id)));
    expect(results.map((r) => [r.status, r.protocol])).toEqual([
      ["completed", "json"],
      ["completed", "mqtt"],
      ["completed", "mqtt"],
      ["rejected", "coap"],
    ]);
    expect(results[1]!.result).toEqual({ echo: { times: 1 } });
    await eventually(async () => ["command.queued", "command.delivered", "command.completed"].every((t) => events.includes(t)));
    stream.close();
    await Promise.all([json.close(), fast.endAsync(), relay.endAsync(), coap.close()]);
  });

  it("is not marked delivered to an MQTT 5 client whose Maximum Packet Size it exceeds (the PUBLISH is never sent)", async () => {
    const token = await createDevice("cmd-small");
    const c = await connectMqtt("/mqtt/cmd-small", { clientId: "cmd-small", password: token, protocolVersion: 5, properties: { maximumPacketSize: 1024 } });
    const inbox = new Inbox(c);
    await c.subscribeAsync("devices/cmd-small/commands/#", { qos: 1 });
    const big = await send("cmd-small", { name: "big", payload: "x".repeat(4096) });
    const small = await send("cmd-small", { name: "small", payload: { ok: true } });
    await inbox.waitFor("devices/cmd-small/commands/small");
    expect(inbox.on("devices/cmd-small/commands/big")).toEqual([]);
    expect((await apiJson<Command>("GET", `/v1/devices/cmd-small/commands/${big.id}`, 200)).status).toBe("queued");
    expect((await apiJson<Command>("GET", `/v1/devices/cmd-small/commands/${small.id}`, 200)).status).toBe("delivered");
    await c.endAsync();
  });

  it("answers a method call too big for an MQTT 5 client's Maximum Packet Size at once (413), instead of after its timeout (504)", async () => {
    const token = await createDevice("mth-small");
    const c = await connectMqtt("/mqtt/mth-small", { clientId: "mth-small", password: token, protocolVersion: 5, properties: { maximumPacketSize: 1024 } });
    await c.subscribeAsync("devices/mth-small/methods/#", { qos: 1 });
    const r = await apiJson<{ status: number; payload: { error: string } }>("POST", "/v1/devices/mth-small/methods/big", 200, { body: { payload: "x".repeat(4096), timeoutSeconds: 20 } });
    expect(r).toMatchObject({ status: 413, payload: { error: expect.stringMatching(/Maximum Packet Size/) } });
    await c.endAsync();
  });

  it("waits for an offline device and arrives in order on its next connect; an expired one never does", async () => {
    const token = await createDevice("cmd-offline");
    const expired = await send("cmd-offline", { name: "late", ttlSeconds: 1 });
    const a = await send("cmd-offline", { name: "first" });
    const b = await send("cmd-offline", { name: "second", payload: "x" });
    expect([a.status, b.status]).toEqual(["queued", "queued"]);
    await new Promise((r) => setTimeout(r, 1_500));
    const json = await JsonSocket.open(token);
    const got = [await json.next((x) => x.type === "command"), await json.next((x) => x.type === "command")];
    expect(got.map((x) => x.name)).toEqual(["first", "second"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(json.received.filter((x) => x.type === "command")).toHaveLength(0);
    expect((await apiJson<Command>("GET", `/v1/devices/cmd-offline/commands/${expired.id}`, 200)).status).toBe("expired");
    const list = await apiJson<{ items: Command[] }>("GET", "/v1/devices/cmd-offline/commands?status=delivered", 200);
    expect(list.items.map((c) => c.name)).toEqual(["second", "first"]);
    await json.close();
  });

  it("is delivered again, with its id, to the next JSON socket or CoAP observer when the one that took it went before answering", async () => {
    const token = await createDevice("cmd-again");
    const first = await JsonSocket.open(token);
    const c = await send("cmd-again", { name: "open-valve", payload: { pct: 40 } });
    expect(await first.next((x) => x.type === "command")).toMatchObject({ id: c.id });
    await first.close(); // gone before it acted: the command was only handed to the socket
    expect((await apiJson<Command>("GET", `/v1/devices/cmd-again/commands/${c.id}`, 200)).status).toBe("delivered");
    const later = await send("cmd-again", { name: "close-valve" });
    // Over CoAP (the same device, its next connection): the unanswered one first, then the queued one.
    const coap = await CoapWsClient.connect(coapUrl());
    await coap.request({ method: "GET", path: "shadow", query: [`auth=${token}`] });
    const notes: { id: string }[] = [];
    await coap.observe("commands", (m) => notes.push(JSON.parse(Buffer.from(m.payload).toString()) as { id: string }));
    await eventually(async () => notes.length >= 2);
    expect(notes.map((n) => n.id)).toEqual([c.id, later.id]);
    await coap.close();
    // Answered now (once is enough: the id lets the device ignore a repeat), it is not sent again.
    const second = await JsonSocket.open(token);
    const again = [await second.next((x) => x.type === "command"), await second.next((x) => x.type === "command")];
    expect(again.map((x) => x.id)).toEqual([c.id, later.id]);
    for (const x of again) second.send({ type: "command.result", id: x.id, status: "completed" });
    await eventually(async () => (await apiJson<Command>("GET", `/v1/devices/cmd-again/commands/${later.id}`, 200)).status === "completed");
    await second.close();
    const third = await JsonSocket.open(token);
    await new Promise((r) => setTimeout(r, 400));
    expect(third.received.filter((x) => x.type === "command")).toEqual([]);
    await third.close();
  });

  it("takes no observe/unobserve from a JSON device (the CoAP links' message): toggling them sends nothing again", async () => {
    const token = await createDevice("cmd-json-observe");
    const dev = await JsonSocket.open(token);
    const c = await send("cmd-json-observe", { name: "once" });
    expect(await dev.next((x) => x.type === "command")).toMatchObject({ id: c.id });
    dev.send({ type: "unobserve", resource: "commands" });
    dev.send({ type: "observe", resource: "commands" });
    await new Promise((r) => setTimeout(r, 400));
    // Before: each off-on toggle sent every unanswered command again.
    expect(dev.received.filter((x) => x.type === "command")).toEqual([]);
    await dev.close();
  });

  it.each([
    ["/mqtt/<id>", 4],
    ["/mqtt", 5],
  ] as const)("is delivered again to the next MQTT session on %s (v%i) when a clean session took it and went before answering", async (path, protocolVersion) => {
    const id = `cmd-clean-${protocolVersion}`;
    const token = await createDevice(id);
    const options = { clientId: id, password: token, protocolVersion, clean: true } as const;
    const topicOf = (cmdId: string) => (protocolVersion === 5 ? `devices/${id}/commands/reboot` : `devices/${id}/commands/reboot/${cmdId}`);
    const idOf = (m: { topic: string; correlationData?: string }) => (protocolVersion === 5 ? m.correlationData : m.topic.split("/").at(-1));
    const url = path === "/mqtt" ? path : `/mqtt/${id}`;
    // The live stream follows the command's every step, the way back to `queued` too.
    const stream = new WebSocket(`${hubUrl().replace("http", "ws")}/v1/devices/${id}/events`, { headers: { authorization: `Bearer ${adminToken()}` } });
    const steps: string[] = [];
    stream.on("message", (d) => {
      const e = JSON.parse(String(d)) as { type: string };
      if (e.type.startsWith("command.")) steps.push(e.type);
    });
    await new Promise((r) => stream.once("open", r));
    const first = await connectMqtt(url, options);
    const firstInbox = new Inbox(first);
    await first.subscribeAsync(`devices/${id}/commands/#`, { qos: 1 });
    const c = await send(id, { name: "reboot", payload: { delay: 1 } });
    const [got] = await firstInbox.waitFor(topicOf(c.id));
    expect(idOf(got!)).toBe(c.id);
    // Acknowledged by MQTT.js (PUBACK), but the device went before it reported a result: the
    // clean session ended with it, so the command waits in the queue again.
    await first.endAsync();
    await eventually(async () => (await apiJson<Command>("GET", `/v1/devices/${id}/commands/${c.id}`, 200)).status === "queued");
    const second = await connectMqtt(url, options);
    const secondInbox = new Inbox(second);
    await second.subscribeAsync(`devices/${id}/commands/#`, { qos: 1 });
    const [again] = await secondInbox.waitFor(topicOf(c.id));
    expect(idOf(again!)).toBe(c.id);
    expect(JSON.parse(again!.payload)).toEqual({ delay: 1 });
    await second.publishAsync(`devices/${id}/commands/${c.id}/result`, JSON.stringify({ status: "completed" }), { qos: 1 });
    expect((await finished(id, c.id)).status).toBe("completed");
    await eventually(async () => steps.includes("command.completed"));
    expect(steps).toEqual(["command.queued", "command.delivered", "command.queued", "command.delivered", "command.completed"]);
    stream.close();
    await second.endAsync();
  });

  it("is not sent twice to a persistent MQTT session that resumes (the session resends it itself, DUP set)", async () => {
    const id = "cmd-persistent";
    const token = await createDevice(id);
    // A raw client that never acknowledges: the command stays in the session's in-flight window.
    const first = await RawMqtt.open(`/mqtt/${id}`, 4);
    expect((await first.connect(id, token, { clean: false })).reasonCode).toBe(0);
    first.send({ type: "subscribe", packetId: 1, subscriptions: [{ filter: `devices/${id}/commands/#`, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    await first.next("suback");
    const c = await send(id, { name: "reboot" });
    expect(await first.next("publish")).toMatchObject({ topic: `devices/${id}/commands/reboot/${c.id}`, dup: false });
    first.close();
    await first.whenClosed();
    await new Promise((r) => setTimeout(r, 300));
    expect((await apiJson<Command>("GET", `/v1/devices/${id}/commands/${c.id}`, 200)).status).toBe("delivered");
    const second = await RawMqtt.open(`/mqtt/${id}`, 4);
    expect(await second.connect(id, token, { clean: false })).toMatchObject({ reasonCode: 0, sessionPresent: true });
    expect(await second.next("publish")).toMatchObject({ topic: `devices/${id}/commands/reboot/${c.id}`, dup: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(second.packets.filter((p) => p.type === "publish")).toEqual([]);
    second.close();
  });

  it("goes back to the queue when the persistent MQTT session that took it expires, and out on the next connection", async () => {
    const id = "cmd-expiring";
    const token = await createDevice(id);
    // A presence subscriber: the connect writes an outbox row, whose resume alarm (5 s on) fires
    // before the session's expiry (6 s after it goes).
    const app = await connectMqtt("/mqtt", { clientId: "cmd-expiring-app", username: "app", password: adminToken(), protocolVersion: 5 });
    const presence = new Inbox(app);
    await app.subscribeAsync(`devices/${id}/presence`, { qos: 1 });
    const raw = await RawMqtt.open(`/mqtt/${id}`, 5);
    expect((await raw.connect(id, token, { clean: false, properties: { sessionExpiryInterval: 6 } })).reasonCode).toBe(0);
    await presence.waitFor(`devices/${id}/presence`);
    raw.send({ type: "subscribe", packetId: 1, subscriptions: [{ filter: `devices/${id}/commands/#`, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    await raw.next("suback");
    const c = await send(id, { name: "reboot" });
    await raw.next("publish");
    raw.close();
    await raw.whenClosed();
    // Before: nothing acted on the expiry once another alarm of the object had fired, and the
    // command stayed "delivered" to a session that no longer existed.
    await eventually(async () => (await apiJson<Command>("GET", `/v1/devices/${id}/commands/${c.id}`, 200)).status === "queued", 15_000);
    const dev = await JsonSocket.open(token);
    expect(await dev.next((m) => m.type === "command")).toMatchObject({ id: c.id, name: "reboot" });
    await dev.close();
    await app.endAsync();
  });

  it("takes an app's MQTT publish on devices/<id>/commands/<name> into the same queue", async () => {
    const token = await createDevice("cmd-app");
    const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "cmd-app", scopes: ["commands:write"] } })).key;
    const app = await connectMqtt("/mqtt", { clientId: "cmd-sender", username: "app", password: key, protocolVersion: 5 });
    await app.publishAsync("devices/cmd-app/commands/reboot", JSON.stringify({ delay: 5 }), { qos: 1 });
    // Only one level names a command: deeper is refused (PUBACK 0x87), not routed as a raw message
    // that a 3.1.1 device would take for queued command `a` with id `b`.
    await expect(app.publishAsync("devices/cmd-app/commands/a/b", "{}", { qos: 1 })).rejects.toThrow(/135|0x87|authori/i);
    const list = await apiJson<{ items: Command[] }>("GET", "/v1/devices/cmd-app/commands", 200);
    expect(list.items[0]).toMatchObject({ name: "reboot", status: "queued" });
    const dev = await connectMqtt("/mqtt/cmd-app", { clientId: "cmd-app", password: token, protocolVersion: 4 });
    const inbox = new Inbox(dev);
    await dev.subscribeAsync("devices/cmd-app/commands/#", { qos: 1 });
    const [m] = await inbox.waitFor(`devices/cmd-app/commands/reboot/${list.items[0]!.id}`);
    expect(JSON.parse(m!.payload)).toEqual({ delay: 5 });
    // Online, the command arrives once, as the command: never also as the app's raw publish.
    await app.publishAsync("devices/cmd-app/commands/reboot", JSON.stringify({ delay: 6 }), { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    const second = inbox.messages.filter((x) => JSON.parse(x.payload).delay === 6);
    expect(second.map((x) => x.topic)).toEqual([expect.stringMatching(/^devices\/cmd-app\/commands\/reboot\/[^/]+$/)]);
    await Promise.all([app.endAsync(), dev.endAsync()]);
  });
});

describe("an app's MQTT command publish", () => {
  it("to an id the registry does not hold (never created, or deleted) is acknowledged and kept by nobody: a device created later with that id gets none", async () => {
    await createDevice("cmd-ghost-deleted");
    expect((await api("DELETE", "/v1/devices/cmd-ghost-deleted")).status).toBe(204);
    const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "cmd-ghost", scopes: ["commands:write"] } })).key;
    const app = await connectMqtt("/mqtt", { clientId: "cmd-ghost-app", username: "app", password: key, protocolVersion: 5 });
    for (const id of ["cmd-ghost-never", "cmd-ghost-deleted"]) await app.publishAsync(`devices/${id}/commands/unlock`, JSON.stringify({ door: "front" }), { qos: 1 });
    await app.endAsync();
    for (const id of ["cmd-ghost-never", "cmd-ghost-deleted"]) {
      const token = await createDevice(id);
      // Before: the command was there, queued, and reached the new device's first connection.
      expect((await apiJson<{ items: Command[] }>("GET", `/v1/devices/${id}/commands`, 200)).items).toEqual([]);
      const dev = await JsonSocket.open(token);
      dev.send({ type: "ping", id: "p" });
      await dev.next((m) => m.type === "pong");
      expect(dev.received.filter((m) => m.type === "command")).toEqual([]);
      await dev.close();
    }
  });

  it("to a device whose queue is full is acknowledged once there is room, and the app's connection stays up", async () => {
    const token = await createDevice("cmd-full");
    const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "cmd-full", scopes: ["commands:write"] } })).key;
    // Fill the queue, 25 at a time, until the hub answers 429.
    for (let full = false, n = 0; !full; n += 25) {
      const statuses = await Promise.all(Array.from({ length: 25 }, async (_, i) => (await api("POST", "/v1/devices/cmd-full/commands", { body: { name: `fill-${n + i}` } })).status));
      for (const status of statuses) expect([201, 429]).toContain(status);
      full = statuses.includes(429);
    }
    const app = await connectMqtt("/mqtt", { clientId: "cmd-full-app", username: "app", password: key, protocolVersion: 5 });
    let closed = false;
    app.on("close", () => (closed = true));
    let acked = false;
    const publish = app.publishAsync("devices/cmd-full/commands/late", "{}", { qos: 1 }).then(() => (acked = true));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(acked).toBe(false); // no room yet: no PUBACK
    expect(closed).toBe(false); // before: the hub closed the app's connection (1002)
    // Room: the device finishes one command.
    const dev = await JsonSocket.open(token);
    const first = await dev.next((m) => m.type === "command");
    dev.send({ type: "command.result", id: first.id, status: "completed" });
    await publish;
    expect(closed).toBe(false);
    const last = (await apiJson<{ items: Command[] }>("GET", "/v1/devices/cmd-full/commands?limit=1", 200)).items[0];
    expect(last).toMatchObject({ name: "late" });
    await Promise.all([app.endAsync(), dev.close()]);
  });
});

describe("a device deleted and created again with the same id", () => {
  it("starts clean and works on every path: commands, shadow, telemetry, MQTT and JSON", async () => {
    const old = await createDevice("cmd-reborn");
    await send("cmd-reborn", { name: "stale" });
    await apiJson("POST", "/v1/devices/cmd-reborn/shadow", 200, { body: { state: { desired: { mode: "old" } } } });
    expect((await api("DELETE", "/v1/devices/cmd-reborn")).status).toBe(204);
    const token = await createDevice("cmd-reborn");
    expect(token).not.toBe(old);
    // Before the fix the object's tables were gone with the old device: 500 "no such table".
    const fresh = await send("cmd-reborn", { name: "fresh", payload: 1 });
    expect(fresh.status).toBe("queued");
    const list = await apiJson<{ items: Command[] }>("GET", "/v1/devices/cmd-reborn/commands", 200);
    expect(list.items.map((c) => c.name)).toEqual(["fresh"]);
    expect((await api("GET", "/v1/devices/cmd-reborn/shadow")).status).toBe(404);
    const dev = await connectMqtt("/mqtt/cmd-reborn", { clientId: "cmd-reborn", password: token, protocolVersion: 5 });
    const inbox = new Inbox(dev);
    await dev.subscribeAsync("devices/cmd-reborn/commands/#", { qos: 1 });
    const [m] = await inbox.waitFor("devices/cmd-reborn/commands/fresh");
    expect(JSON.parse(m!.payload)).toBe(1);
    await dev.publishAsync("devices/cmd-reborn/telemetry", JSON.stringify({ t: 1 }), { qos: 1 });
    await dev.endAsync();
    const json = await JsonSocket.open(token);
    json.send({ type: "shadow.update", state: { reported: { mode: "new" } }, clientToken: "r" });
    expect(await json.next((x) => x.type === "shadow.accepted")).toMatchObject({ clientToken: "r" });
    await json.close();
    const shadow = await apiJson<{ state: { reported: unknown; desired?: unknown } }>("GET", "/v1/devices/cmd-reborn/shadow", 200);
    expect(shadow.state).toEqual({ reported: { mode: "new" } });
  });
});
