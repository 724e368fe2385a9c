/**
 * The MQTT edge, driven with raw bytes on both paths (`/mqtt` and `/mqtt/<id>`): packets split
 * across frames and across an idle object, sockets that never send CONNECT, refusals that tell
 * nothing about which devices exist, identity codes, keep-alive and text frames.
 */
import { describe, expect, it } from "vitest";
import { apiJson, createDevice, eventually } from "./client";
import { RawMqtt } from "./raw-mqtt";

const both = (id: string) => [`/mqtt/${id}`, "/mqtt"];

describe("MQTT edge", () => {
  it("keeps a PUBLISH split across frames with a pause longer than the object's idle time (both paths)", async () => {
    await Promise.all(
      ["fast", "relay"].map(async (kind) => {
        const id = `edge-split-${kind}`;
        const token = await createDevice(id);
        const c = await RawMqtt.open(kind === "fast" ? `/mqtt/${id}` : "/mqtt", 4);
        expect((await c.connect(id, token)).reasonCode).toBe(0);
        const publish = c.bytes({ type: "publish", topic: `devices/${id}/telemetry`, payload: new TextEncoder().encode(JSON.stringify({ split: kind })), qos: 1, retain: false, dup: false, packetId: 7 });
        c.send(publish.subarray(0, 5));
        // workerd lets an idle object hibernate after about 10 s; the pieces straddle that.
        await new Promise((r) => setTimeout(r, 12_000));
        c.send(publish.subarray(5));
        expect((await c.next("puback")).packetId).toBe(7);
        c.close();
        const rows = await apiJson<{ items: { data: Record<string, unknown> }[] }>("GET", `/v1/devices/${id}/telemetry`, 200);
        expect(rows.items.map((r) => r.data.split)).toEqual([kind]);
      }),
    );
  }, 40_000);

  it("closes a socket that sends no CONNECT within MQTT_CONNECT_TIMEOUT_SECONDS (both paths)", async () => {
    await createDevice("edge-silent");
    for (const path of both("edge-silent")) {
      const c = await RawMqtt.open(path);
      const started = Date.now();
      const closed = await c.whenClosed(10_000);
      expect(closed.code).toBe(1008);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    }
  });

  it("answers every id on /mqtt/<id> the same way until CONNECT proves who is asking", async () => {
    const token = await createDevice("edge-known");
    await createDevice("edge-disabled");
    await apiJson("PATCH", "/v1/devices/edge-disabled", 200, { body: { enabled: false } });
    for (const [version, code] of [[4, 0x05], [5, 0x86]] as const) {
      for (const id of ["edge-unknown", "edge-disabled", "edge-known"]) {
        const c = await RawMqtt.open(`/mqtt/${id}`, version);
        // A real token, but not this device's (or the device cannot connect): the wrong-password answer.
        const ack = await c.connect(id, id === "edge-known" ? "not-the-token" : token);
        expect(ack.reasonCode, `${id} v${version}`).toBe(code);
        await c.whenClosed();
      }
    }
  });

  it("refuses an empty or mismatched client id with 0x02 (3.1.1) / 0x85 (5.0) on /mqtt", async () => {
    const token = await createDevice("edge-cid");
    for (const [version, code] of [[4, 0x02], [5, 0x85]] as const) {
      for (const clientId of ["", "someone-else"]) {
        const c = await RawMqtt.open("/mqtt", version);
        const ack = await c.connect(clientId, token, { username: "edge-cid" });
        expect(ack.reasonCode, `"${clientId}" v${version}`).toBe(code);
      }
    }
  });

  it("assigns an app with an empty client id one of its own, as paho's default v5 client needs [MQTT-3.1.3-6], but not 3.1.1 without Clean Session", async () => {
    const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "edge-cid-app", scopes: ["devices:read"] } })).key;
    const password = new TextEncoder().encode(key);
    const assigned: string[] = [];
    // mqtt-packet will not write an empty client id without Clean Start: the flag is cleared by hand.
    const connect = async (c: RawMqtt, clean: boolean) => {
      const bytes = c.bytes({ type: "connect", protocolId: "MQTT", protocolVersion: c.version, clientId: "", clean: true, keepAlive: 0, username: "app", password });
      expect([...bytes.subarray(2, 8)]).toEqual([0, 4, 0x4d, 0x51, 0x54, 0x54]); // one length byte, then "MQTT"
      if (!clean) bytes[9]! &= ~0x02;
      c.send(bytes);
      return c.next("connack");
    };
    for (const [version, clean] of [[5, true], [5, false], [4, true]] as const) {
      const c = await RawMqtt.open("/mqtt", version);
      const ack = await connect(c, clean);
      expect(ack.reasonCode, `v${version} clean ${clean}`).toBe(0);
      expect(ack.sessionPresent).toBe(false);
      if (version === 5) assigned.push(ack.properties?.assignedClientIdentifier ?? "");
      c.send({ type: "subscribe", packetId: 1, subscriptions: [{ filter: "devices/+/presence", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
      expect((await c.next("suback")).reasonCodes).toEqual([1]);
      c.close();
    }
    expect(assigned[0]).toMatch(/^auto-[0-9a-f-]{36}$/);
    expect(new Set(assigned).size).toBe(2);
    expect((await connect(await RawMqtt.open("/mqtt", 4), false)).reasonCode).toBe(0x02);
  });

  it("sends DISCONNECT 0x8D when keep-alive runs out and 0x81 for a text frame (v5, both paths)", async () => {
    const token = await createDevice("edge-ka");
    for (const path of both("edge-ka")) {
      const c = await RawMqtt.open(path, 5);
      expect((await c.connect("edge-ka", token, { keepAlive: 1 })).reasonCode).toBe(0);
      expect((await c.next("disconnect", 5_000)).reasonCode).toBe(0x8d);
      await c.whenClosed();

      const t = await RawMqtt.open(path, 5);
      expect((await t.connect("edge-ka", token)).reasonCode).toBe(0);
      t.ws.send("not mqtt");
      expect((await t.next("disconnect")).reasonCode).toBe(0x81);
      await t.whenClosed();
    }
    // The session went offline each time (the will would have gone out); the device is offline now.
    await eventually(async () => (await apiJson<{ status: { connected: boolean } }>("GET", "/v1/devices/edge-ka", 200)).status.connected === false);
  });

  it("keeps the device's last message as last_seen when keep-alive runs out (the hub's finding, not the device's close)", async () => {
    const token = await createDevice("edge-ka-seen");
    const c = await RawMqtt.open("/mqtt/edge-ka-seen", 5);
    expect((await c.connect("edge-ka-seen", token, { keepAlive: 1 })).reasonCode).toBe(0);
    expect((await c.next("disconnect", 5_000)).reasonCode).toBe(0x8d);
    await c.whenClosed();
    type Status = { connected: boolean; connected_at: string; disconnected_at: string; last_seen: string };
    let status: Status | null = null;
    await eventually(async () => (status = (await apiJson<{ status: Status }>("GET", "/v1/devices/edge-ka-seen", 200)).status).connected === false);
    const s = status!;
    // Silent for 1.5 × keep-alive after its CONNECT: last seen then, not when the edge gave up.
    // Before: last_seen was the disconnect's time.
    expect(Date.parse(s.last_seen)).toBeLessThan(Date.parse(s.disconnected_at) - 1_000);
    expect(Date.parse(s.last_seen)).toBeGreaterThanOrEqual(Date.parse(s.connected_at));
  });

  it("forwards User Properties in the order they were sent, repeated and numeric names included [MQTT-3.3.2-18] (both paths)", async () => {
    const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "edge-up", scopes: ["devices:read"] } })).key;
    const app = await RawMqtt.open("/mqtt", 5);
    expect((await app.connect("edge-up-app", null, { username: "app", password: new TextEncoder().encode(key) })).reasonCode).toBe(0);
    app.send({ type: "subscribe", packetId: 1, subscriptions: [{ filter: "devices/edge-up/telemetry/#", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    await app.next("suback");
    const token = await createDevice("edge-up");
    // mqtt-packet's generator grouped a repeated name's values, and put "7" (an array index) first.
    const userProperties: [string, string][] = [["k", "1"], ["j", "2"], ["k", "3"], ["7", "x"], ["j", "4"]];
    for (const [i, path] of ["/mqtt/edge-up", "/mqtt"].entries()) {
      const dev = await RawMqtt.open(path, 5);
      expect((await dev.connect("edge-up", token)).reasonCode).toBe(0);
      dev.send({ type: "publish", topic: "devices/edge-up/telemetry/up", payload: new TextEncoder().encode(`{"n":${i}}`), qos: 1, retain: false, dup: false, packetId: 1, properties: { userProperties, contentType: "application/json" } });
      await dev.next("puback");
      const got = await app.next("publish");
      expect(got.properties).toMatchObject({ userProperties, contentType: "application/json" });
      dev.close();
      await dev.whenClosed();
    }
    app.close();
  });

  it("delivers messages that together pass the runtime's 1 MiB WebSocket message limit (retained at SUBACK, and a live burst)", async () => {
    const token = await createDevice("edge-big");
    const dev = await RawMqtt.open("/mqtt/edge-big", 5);
    expect((await dev.connect("edge-big", token)).reasonCode).toBe(0);
    const big = (i: number) => new TextEncoder().encode(`{"i":${i},"s":"${"x".repeat(250_000)}"}`);
    const burst = async (from: number, retain: boolean) => {
      for (let i = from; i < from + 5; i++) dev.send({ type: "publish", topic: `devices/edge-big/telemetry/k${i}`, payload: big(i), qos: 1, retain, dup: false, packetId: i });
      for (let i = 0; i < 5; i++) await dev.next("puback");
    };
    await burst(1, true);
    const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "edge-big", scopes: ["devices:read"] } })).key;
    const app = await RawMqtt.open("/mqtt", 5);
    expect((await app.connect("edge-big-app", null, { username: "app", password: new TextEncoder().encode(key) })).reasonCode).toBe(0);
    app.send({ type: "subscribe", packetId: 1, subscriptions: [{ filter: "devices/edge-big/telemetry/#", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    expect((await app.next("suback")).reasonCodes).toEqual([1]);
    const receive = async () => {
      const got: number[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await app.next("publish");
        got.push((JSON.parse(new TextDecoder().decode(p.payload)) as { i: number }).i);
        app.send({ type: "puback", packetId: p.packetId!, reasonCode: 0 });
      }
      return got.sort((a, b) => a - b);
    };
    expect(await receive()).toEqual([1, 2, 3, 4, 5]);
    await burst(6, false);
    expect(await receive()).toEqual([6, 7, 8, 9, 10]);
    expect([app.closed, dev.closed]).toEqual([null, null]);
    app.close();
    dev.close();
  });
});

