/**
 * A connected subscriber slower than its publishers slows them instead of losing what overflows
 * its queue: on a hub of this test's own with a small session queue (MQTT_MAX_QUEUED=40) and
 * window (MQTT_MAX_INFLIGHT=10), a raw subscriber that acknowledges nothing at first still gets
 * every one of 200 QoS 1 messages, in order, once it starts acknowledging. And it holds up only
 * itself: other subscribers of the same channel or device topic keep getting new messages while
 * it waits for room (MQTT_ROOM_WAIT_SECONDS=120, far longer than the test waits).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalHub } from "../../bench/lib/hub";
import { createDevice } from "./client";
import { Inbox, channelWith, connectMqtt } from "./mqtt-client";
import { RawMqtt } from "./raw-mqtt";

describe("MQTT backpressure", () => {
  let hub: LocalHub;
  beforeAll(async () => {
    hub = LocalHub.create("umbra-backpressure-", { MQTT_MAX_QUEUED: "40", MQTT_MAX_INFLIGHT: "10", MQTT_ROOM_WAIT_SECONDS: "120" });
    await hub.start();
  });
  afterAll(async () => {
    await hub?.dispose();
  });

  it("keeps every message for a connected subscriber that falls behind", async () => {
    const tSub = await createDevice("bp-sub", hub.url, hub.adminToken);
    const tPub = await createDevice("bp-pub", hub.url, hub.adminToken);
    await channelWith("bp", ["bp-sub", "bp-pub"], hub.url, hub.adminToken);
    const sub = await RawMqtt.open("/mqtt/bp-sub", 4, hub.url);
    expect((await sub.connect("bp-sub", tSub)).reasonCode).toBe(0);
    sub.send({ type: "subscribe", packetId: 1, subscriptions: [{ filter: "channels/bp/messages/#", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    await sub.next("suback");

    const pub = await connectMqtt("/mqtt/bp-pub", { base: hub.url, clientId: "bp-pub", password: tPub, protocolVersion: 4 });
    const total = 200;
    const sent = Array.from({ length: total }, (_, i) => pub.publishAsync("channels/bp/messages/n", String(i), { qos: 1 }));
    // Nothing acknowledged yet: the subscriber holds its window of 10 and the hub holds the rest.
    await new Promise((r) => setTimeout(r, 2_000));
    const got: string[] = [];
    for (const until = Date.now() + 60_000; got.length < total && Date.now() < until; ) {
      const publishes = sub.packets.splice(0).filter((p) => p.type === "publish");
      for (const p of publishes) {
        if (p.type !== "publish") continue;
        got.push(new TextDecoder().decode(p.payload));
        sub.send({ type: "puback", packetId: p.packetId! });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(sent);
    expect(got).toEqual(Array.from({ length: total }, (_, i) => String(i)));
    await pub.endAsync();
    sub.close();
  }, 120_000);

  it("holds up only the slow subscriber: others of the same channel and device topic get new messages meanwhile", async () => {
    const tokens = new Map<string, string>();
    for (const id of ["hol-slow", "hol-fast", "hol-pub"]) tokens.set(id, await createDevice(id, hub.url, hub.adminToken));
    await channelWith("hol", ["hol-slow", "hol-fast", "hol-pub"], hub.url, hub.adminToken);
    const channel = "channels/hol/messages/n";
    const telemetry = "devices/hol-pub/telemetry";
    const sub = (filter: string) => ({ filter, qos: 1 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 as const });
    // Slow: a device on the channel and an app session on the publisher's telemetry, acknowledging nothing.
    const slowDevice = await RawMqtt.open("/mqtt/hol-slow", 4, hub.url);
    expect((await slowDevice.connect("hol-slow", tokens.get("hol-slow")!)).reasonCode).toBe(0);
    const slowApp = await RawMqtt.open("/mqtt", 4, hub.url);
    expect((await slowApp.connect("hol-slow-app", hub.adminToken, { username: "app" })).reasonCode).toBe(0);
    slowDevice.send({ type: "subscribe", packetId: 1, subscriptions: [sub("channels/hol/messages/#")] });
    slowApp.send({ type: "subscribe", packetId: 1, subscriptions: [sub(telemetry)] });
    await slowDevice.next("suback");
    await slowApp.next("suback");
    // Fast: the same, through MQTT.js, acknowledging at once.
    const fastDevice = await connectMqtt("/mqtt/hol-fast", { base: hub.url, clientId: "hol-fast", password: tokens.get("hol-fast")!, protocolVersion: 4 });
    await fastDevice.subscribeAsync("channels/hol/messages/#", { qos: 1 });
    const fastApp = await connectMqtt("/mqtt", { base: hub.url, clientId: "hol-fast-app", username: "app", password: hub.adminToken, protocolVersion: 5 });
    await fastApp.subscribeAsync(telemetry, { qos: 1 });
    const fastChannel = new Inbox(fastDevice);
    const fastTelemetry = new Inbox(fastApp);

    const pub = await connectMqtt("/mqtt/hol-pub", { base: hub.url, clientId: "hol-pub", password: tokens.get("hol-pub")!, protocolVersion: 4 });
    const wave = 30;
    const publish = (from: number) =>
      Promise.all(
        Array.from({ length: wave }, (_, i) => [
          pub.publishAsync(channel, String(from + i), { qos: 1 }),
          pub.publishAsync(telemetry, JSON.stringify({ n: from + i }), { qos: 1 }),
        ]).flat(),
      );
    await publish(0);
    await fastChannel.waitFor(channel, wave, 20_000);
    await fastTelemetry.waitFor(telemetry, wave, 20_000);
    // The slow sessions now hold their window of 10 and half their queue; what is left of the
    // first wave waits for them. The second wave still reaches the fast ones.
    await publish(wave);
    await fastChannel.waitFor(channel, 2 * wave, 20_000);
    await fastTelemetry.waitFor(telemetry, 2 * wave, 20_000);
    const all = Array.from({ length: 2 * wave }, (_, i) => i);
    expect(fastChannel.on(channel).map((m) => Number(m.payload))).toEqual(all);
    expect(fastTelemetry.on(telemetry).map((m) => (JSON.parse(m.payload) as { n: number }).n)).toEqual(all);

    // The slow ones acknowledge from now on, and get everything, in order.
    const drainRaw = async (raw: RawMqtt, read: (payload: string) => number) => {
      const got: number[] = [];
      for (const until = Date.now() + 60_000; got.length < 2 * wave && Date.now() < until; ) {
        for (const p of raw.packets.splice(0)) {
          if (p.type !== "publish") continue;
          got.push(read(new TextDecoder().decode(p.payload)));
          raw.send({ type: "puback", packetId: p.packetId! });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return got;
    };
    const [slowChannel, slowTelemetry] = await Promise.all([drainRaw(slowDevice, Number), drainRaw(slowApp, (p) => (JSON.parse(p) as { n: number }).n)]);
    expect(slowChannel).toEqual(all);
    expect(slowTelemetry).toEqual(all);
    await Promise.all([pub.endAsync(), fastDevice.endAsync(), fastApp.endAsync()]);
    slowDevice.close();
    slowApp.close();
  }, 120_000);

  it("never holds deliveries to a session whose queue limit is one message", async () => {
    await LocalHub.with("umbra-backpressure-tiny-", { MQTT_MAX_QUEUED: "1", MQTT_MAX_INFLIGHT: "1" }, async (tiny) => {
      const tSub = await createDevice("bp1-sub", tiny.url, tiny.adminToken);
      const tPub = await createDevice("bp1-pub", tiny.url, tiny.adminToken);
      await channelWith("bp1", ["bp1-sub", "bp1-pub"], tiny.url, tiny.adminToken);
      const sub = await connectMqtt("/mqtt/bp1-sub", { base: tiny.url, clientId: "bp1-sub", password: tSub, protocolVersion: 4 });
      await sub.subscribeAsync("channels/bp1/messages/#", { qos: 1 });
      const inbox = new Inbox(sub);
      const pub = await connectMqtt("/mqtt/bp1-pub", { base: tiny.url, clientId: "bp1-pub", password: tPub, protocolVersion: 4 });
      // One at a time: a delivery that waited for room it could never get would take 10 s each.
      for (let i = 0; i < 20; i++) {
        await pub.publishAsync("channels/bp1/messages/n", String(i), { qos: 1 });
        await inbox.waitFor("channels/bp1/messages/n", i + 1, 5_000);
      }
      expect(inbox.on("channels/bp1/messages/n").map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      await pub.endAsync();
      await sub.endAsync();
    });
  }, 120_000);
});
