/**
 * Routing through the topic shards: granted subscriptions deliver (admin apps on channels and
 * device topics), channel messages keep their MQTT 5 properties (expiry, retain as published),
 * and channel membership reaches live sessions both ways.
 */
import { describe, expect, it } from "vitest";
import { adminToken, apiJson, createDevice } from "./client";
import { Inbox, channelWith, connectMqtt, publishCode } from "./mqtt-client";

describe("MQTT routing", () => {
  it("delivers what an admin app's subscriptions grant, and takes its channel publishes", async () => {
    const token = await createDevice("rt-m1");
    await channelWith("rt-ch1", ["rt-m1"]);
    const admin = await connectMqtt("/mqtt", { clientId: "rt-admin", username: "app", password: adminToken(), protocolVersion: 5 });
    const inbox = new Inbox(admin);
    await admin.subscribeAsync(["channels/rt-ch1/messages/#", "devices/rt-m1/commands/#"], { qos: 1 });
    const dev = await connectMqtt("/mqtt/rt-m1", { clientId: "rt-m1", password: token, protocolVersion: 5 });
    const devInbox = new Inbox(dev);
    await dev.subscribeAsync("channels/rt-ch1/messages/#", { qos: 1 });

    await dev.publishAsync("channels/rt-ch1/messages/hello", "from device", { qos: 1 });
    expect((await inbox.waitFor("channels/rt-ch1/messages/hello"))[0]!.payload).toBe("from device");
    expect(await publishCode(admin, "channels/rt-ch1/messages/admin", "from admin")).toBe(0);
    expect((await devInbox.waitFor("channels/rt-ch1/messages/admin"))[0]!.payload).toBe("from admin");
    await admin.publishAsync("devices/rt-m1/commands/blink", "{}", { qos: 1 });
    await inbox.waitFor("devices/rt-m1/commands/blink");
    await Promise.all([admin.endAsync(), dev.endAsync()]);
  });

  it("a deleted device's retained messages go with it: a device created again with its id has none", async () => {
    const token = await createDevice("rt-del");
    const dev = await connectMqtt("/mqtt/rt-del", { clientId: "rt-del", password: token, protocolVersion: 5 });
    await dev.publishAsync("devices/rt-del/telemetry/x", "old", { qos: 1, retain: true });
    await dev.endAsync();
    const retained = () => retainedPayloads("devices/rt-del/telemetry", "x");
    expect(await retained()).toEqual(["old"]);
    await apiJson("DELETE", "/v1/devices/rt-del", 204);
    expect(await retained()).toEqual([]);
    await createDevice("rt-del");
    expect(await retained()).toEqual([]);
  });

  it("a deleted channel's retained messages go with it: a channel created again with its id has none", async () => {
    const token = await createDevice("rt-chdel-dev");
    await channelWith("rt-chdel", ["rt-chdel-dev"]);
    const dev = await connectMqtt("/mqtt/rt-chdel-dev", { clientId: "rt-chdel-dev", password: token, protocolVersion: 5 });
    await dev.publishAsync("channels/rt-chdel/messages/state", "old", { qos: 1, retain: true });
    await dev.endAsync();
    const retained = () => retainedPayloads("channels/rt-chdel/messages", "state");
    expect(await retained()).toEqual(["old"]);
    await apiJson("DELETE", "/v1/channels/rt-chdel", 204);
    await apiJson("POST", "/v1/channels", 201, { body: { id: "rt-chdel" } });
    // Before: the old channel's retained message came back with the new one.
    expect(await retained()).toEqual([]);
  });

  it("sends QoS 0 channel messages in order beside QoS 1 ones, on both paths", async () => {
    const tokens = [await createDevice("rt-q0-pub"), await createDevice("rt-q0-sub")];
    await channelWith("rt-q0", ["rt-q0-pub", "rt-q0-sub"]);
    for (const [pubPath, subPath] of [["/mqtt/rt-q0-pub", "/mqtt/rt-q0-sub"], ["/mqtt", "/mqtt"]] as const) {
      const sub = await connectMqtt(subPath, { clientId: "rt-q0-sub", password: tokens[1], protocolVersion: 5, clean: true });
      const inbox = new Inbox(sub);
      await sub.subscribeAsync("channels/rt-q0/messages/#", { qos: 1 });
      const pub = await connectMqtt(pubPath, { clientId: "rt-q0-pub", password: tokens[0], protocolVersion: 5, clean: true });
      // A burst: 100 at QoS 0 with a QoS 1 message after every tenth.
      for (let i = 0; i < 100; i++) {
        pub.publish("channels/rt-q0/messages/zero", String(i), { qos: 0 });
        if (i % 10 === 9) pub.publish("channels/rt-q0/messages/one", String(i), { qos: 1 });
      }
      const ones = await inbox.waitFor("channels/rt-q0/messages/one", 10);
      const zeros = await inbox.waitFor("channels/rt-q0/messages/zero", 100);
      // Each QoS in its publish order [MQTT-4.6.0-6]; a QoS 0 message arrives at QoS 0.
      expect(zeros.map((m) => m.payload)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
      expect(ones.map((m) => m.payload)).toEqual(Array.from({ length: 10 }, (_, i) => String(i * 10 + 9)));
      expect(new Set(zeros.map((m) => m.qos))).toEqual(new Set([0]));
      await Promise.all([pub.endAsync(), sub.endAsync()]);
    }
  });

  it("keeps message expiry and retain-as-published on channels", async () => {
    const tPub = await createDevice("rt-pub");
    const tSub = await createDevice("rt-sub");
    await channelWith("rt-ch2", ["rt-pub", "rt-sub"]);
    const pub = await connectMqtt("/mqtt/rt-pub", { clientId: "rt-pub", password: tPub, protocolVersion: 5 });
    // A persistent session that goes offline.
    let sub = await connectMqtt("/mqtt/rt-sub", { clientId: "rt-sub", password: tSub, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } });
    await sub.subscribeAsync("channels/rt-ch2/messages/#", { qos: 1, rap: true });
    let got: { topic: string; retain: boolean; expiry: unknown }[] = [];
    sub.on("message", (topic, _p, packet) => got.push({ topic, retain: packet.retain, expiry: packet.properties?.messageExpiryInterval }));
    // Live: a retained publish keeps retain=1 for a rap subscriber [MQTT-3.3.1-12], and its expiry.
    await pub.publishAsync("channels/rt-ch2/messages/live", "x", { qos: 1, retain: true, properties: { messageExpiryInterval: 300 } });
    const until = Date.now() + 10_000;
    while (got.length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    expect(got[0]).toMatchObject({ topic: "channels/rt-ch2/messages/live", retain: true });
    expect(got[0]!.expiry).toBeGreaterThan(290);
    await sub.endAsync();

    // Offline: a message that expires before the session returns is never delivered; a lasting one is.
    await pub.publishAsync("channels/rt-ch2/messages/short", "gone", { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync("channels/rt-ch2/messages/long", "kept", { qos: 1, properties: { messageExpiryInterval: 600 } });
    await pub.publishAsync("channels/rt-ch2/messages/retained-short", "gone", { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
    await new Promise((r) => setTimeout(r, 2_200));
    got = [];
    sub = await connectMqtt("/mqtt/rt-sub", { clientId: "rt-sub", password: tSub, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } });
    sub.on("message", (topic, _p, packet) => got.push({ topic, retain: packet.retain, expiry: packet.properties?.messageExpiryInterval }));
    const inbox = new Inbox(sub);
    await inbox.waitFor("channels/rt-ch2/messages/long");
    // A late subscriber does not get the expired retained message, only the live one.
    const late = await connectMqtt("/mqtt/rt-pub", { clientId: "rt-pub", password: tPub, protocolVersion: 5 });
    const lateInbox = new Inbox(late);
    await late.subscribeAsync("channels/rt-ch2/messages/#", { qos: 1 });
    await lateInbox.waitFor("channels/rt-ch2/messages/live");
    await new Promise((r) => setTimeout(r, 300));
    expect(got.map((m) => m.topic)).not.toContain("channels/rt-ch2/messages/short");
    expect(lateInbox.on("channels/rt-ch2/messages/retained-short")).toHaveLength(0);
    await Promise.all([sub.endAsync(), late.endAsync(), pub.endAsync().catch(() => undefined)]);
  });

  it("applies channel membership to a live session both ways", async () => {
    const token = await createDevice("rt-live");
    const tOther = await createDevice("rt-other");
    await channelWith("rt-ch3", ["rt-other"]);
    const dev = await connectMqtt("/mqtt/rt-live", { clientId: "rt-live", password: token, protocolVersion: 5 });
    const inbox = new Inbox(dev);
    const other = await connectMqtt("/mqtt/rt-other", { clientId: "rt-other", password: tOther, protocolVersion: 5 });
    expect(await publishCode(dev, "channels/rt-ch3/messages/a", "before")).toBe(0x87);

    await apiJson("PUT", "/v1/channels/rt-ch3/devices/rt-live", 204);
    expect(await publishCode(dev, "channels/rt-ch3/messages/a", "member")).toBe(0);
    await dev.subscribeAsync("channels/rt-ch3/messages/#", { qos: 1 });
    await other.publishAsync("channels/rt-ch3/messages/b", "to members", { qos: 1 });
    await inbox.waitFor("channels/rt-ch3/messages/b");

    await apiJson("DELETE", "/v1/channels/rt-ch3/devices/rt-live", 204);
    expect(await publishCode(dev, "channels/rt-ch3/messages/a", "after")).toBe(0x87);
    await other.publishAsync("channels/rt-ch3/messages/c", "not for you", { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(inbox.on("channels/rt-ch3/messages/c")).toHaveLength(0);
    await Promise.all([dev.endAsync(), other.endAsync()]);
  });
});

/**
 * The retained payloads an admin app subscribing to `<base>/#` gets on `<base>/<leaf>`: a marker
 * it publishes after subscribing comes after them, so what came before it is all there was.
 */
async function retainedPayloads(base: string, leaf: string): Promise<string[]> {
  const app = await connectMqtt("/mqtt", { clientId: "rt-retained-app", username: "app", password: adminToken(), protocolVersion: 5, clean: true });
  const inbox = new Inbox(app);
  await app.subscribeAsync(`${base}/#`, { qos: 1 });
  await app.publishAsync(`${base}/marker`, "m", { qos: 1 });
  await inbox.waitFor(`${base}/marker`);
  await app.endAsync();
  return inbox.on(`${base}/${leaf}`).map((m) => m.payload);
}
