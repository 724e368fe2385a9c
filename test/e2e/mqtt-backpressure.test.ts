/**
 * A connected subscriber slower than its publishers slows them instead of losing what overflows
 * its queue: on a hub of this test's own with a small session queue (MQTT_MAX_QUEUED=40) and
 * window (MQTT_MAX_INFLIGHT=10), a raw subscriber that acknowledges nothing at first still gets
 * every one of 200 QoS 1 messages, in order, once it starts acknowledging.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalHub } from "../../bench/lib/hub";
import { createDevice } from "./client";
import { Inbox, channelWith, connectMqtt } from "./mqtt-client";
import { RawMqtt } from "./raw-mqtt";

describe("MQTT backpressure", () => {
  let hub: LocalHub;
  beforeAll(async () => {
    hub = LocalHub.create("umbra-backpressure-", { MQTT_MAX_QUEUED: "40", MQTT_MAX_INFLIGHT: "10" });
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
