/**
 * Shared subscriptions (`$share/<group>/<filter>`, MQTT 5.0 §4.8.2, 3.1.1 clients too) through
 * real MQTT.js clients: each message matching the filter goes to one member of the group, in
 * turn; ordinary subscribers still get every message; no retained messages for the group.
 */
import { describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { adminToken, apiJson, createDevice, eventually } from "./client";
import { Inbox, connectMqtt } from "./mqtt-client";
import { RawMqtt } from "./raw-mqtt";

async function appKey(name: string): Promise<string> {
  return (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name, scopes: ["devices:read"] } })).key;
}

/** How many messages each inbox holds on topics starting with `prefix`. */
const counts = (inboxes: Inbox[], prefix: string) => inboxes.map((i) => i.messages.filter((m) => m.topic.startsWith(prefix)).length);

describe("MQTT shared subscriptions", () => {
  it("spread a fleet's telemetry over an app group, once each, in turn, across both MQTT URLs", async () => {
    const key = await appKey("shared-workers");
    const members = await Promise.all(
      [5, 5, 4].map((v, i) => connectMqtt("/mqtt", { clientId: `shared-worker-${i}`, username: "app", password: key, protocolVersion: v as 4 | 5 })),
    );
    const inboxes = members.map((m) => new Inbox(m));
    for (const m of members) expect((await m.subscribeAsync("$share/workers/devices/+/telemetry/shared", { qos: 1 }))[0]?.qos).toBe(1);
    // An ordinary subscriber of the same filter gets everything.
    const watcher = await connectMqtt("/mqtt", { clientId: "shared-watcher", username: "app", password: key, protocolVersion: 5 });
    const watched = new Inbox(watcher);
    await watcher.subscribeAsync("devices/+/telemetry/shared", { qos: 1 });

    const devices: MqttClient[] = [];
    for (const [id, path] of [["shared-dev-1", "/mqtt/shared-dev-1"], ["shared-dev-2", "/mqtt"]] as const) {
      const token = await createDevice(id);
      devices.push(await connectMqtt(path, { clientId: id, username: id, password: token, protocolVersion: 5 }));
    }
    const per = 12;
    for (let n = 0; n < per; n++) await Promise.all(devices.map((d, i) => d.publishAsync(`devices/shared-dev-${i + 1}/telemetry/shared`, String(n), { qos: 1 })));

    const total = per * devices.length;
    await eventually(async () => counts(inboxes, "devices/").reduce((a, b) => a + b, 0) >= total && watched.messages.length >= total);
    // Each message once in the group: no duplicates, none missing.
    const seen = inboxes.flatMap((i) => i.messages.map((m) => `${m.topic} ${m.payload}`)).sort();
    expect(seen).toEqual([...new Set(seen)]);
    expect(seen).toHaveLength(total);
    // In turn: each device's object hands its messages to the members one after another.
    expect(counts(inboxes, "devices/")).toEqual([8, 8, 8]);
    expect(watched.messages).toHaveLength(total);
    await Promise.all([...members, watcher, ...devices].map((c) => c.endAsync()));
  });

  it("a group on an open topic (routed by its shard): a member that leaves gets no more; retained messages are not sent to the group", async () => {
    const admin = adminToken();
    const connect = (id: string) => connectMqtt("/mqtt", { clientId: id, username: "app", password: admin, protocolVersion: 5 });
    const publisher = await connect("shared-pub");
    await publisher.publishAsync("jobs/retained", "old", { qos: 1, retain: true });
    const a = await connect("shared-a");
    const b = await connect("shared-b");
    const [ia, ib] = [new Inbox(a), new Inbox(b)];
    await a.subscribeAsync("$share/g/jobs/#", { qos: 1 });
    await b.subscribeAsync("$share/g/jobs/#", { qos: 1 });
    // An ordinary subscription made after the shared one gets the retained message; the shared one got none before it.
    await a.subscribeAsync("jobs/retained", { qos: 1 });
    await ia.waitFor("jobs/retained");
    expect(ia.on("jobs/retained")).toHaveLength(1);
    expect(ib.messages).toEqual([]);
    await a.unsubscribeAsync("jobs/retained");

    for (let n = 0; n < 6; n++) await publisher.publishAsync("jobs/work", String(n), { qos: 1 });
    await eventually(async () => ia.on("jobs/work").length + ib.on("jobs/work").length >= 6);
    expect(counts([ia, ib], "jobs/work")).toEqual([3, 3]);

    await b.unsubscribeAsync("$share/g/jobs/#");
    for (let n = 6; n < 10; n++) await publisher.publishAsync("jobs/work", String(n), { qos: 1 });
    await ia.waitFor("jobs/work", 7);
    await eventually(async () => ia.on("jobs/work").length === 7);
    expect(ib.on("jobs/work")).toHaveLength(3);
    await Promise.all([publisher, a, b].map((c) => c.endAsync()));
  });

  it("a member that also subscribes ordinarily gets the messages its group gave another member by that subscription only: its QoS and identifier", async () => {
    // Found by a paho client against mosquitto: each of these came at the group's QoS 1 with the group's identifier 7 too.
    const admin = adminToken();
    const connect = (id: string) => connectMqtt("/mqtt", { clientId: id, username: "app", password: admin, protocolVersion: 5 });
    const [a, b, publisher] = await Promise.all(["shared-both-a", "shared-both-b", "shared-both-pub"].map(connect));
    const got = new Map<MqttClient, { payload: string; qos: number; ids: number[] }[]>([[a!, []], [b!, []]]);
    for (const [c, list] of got) {
      c.on("message", (_t, payload, packet) => {
        const id = (packet.properties as { subscriptionIdentifier?: number | number[] } | undefined)?.subscriptionIdentifier;
        list.push({ payload: payload.toString(), qos: packet.qos, ids: id === undefined ? [] : [id].flat().sort() });
      });
    }
    await a!.subscribeAsync("both/#", { qos: 0, properties: { subscriptionIdentifier: 4 } });
    await a!.subscribeAsync("$share/g/both/#", { qos: 1, properties: { subscriptionIdentifier: 7 } });
    await b!.subscribeAsync("$share/g/both/#", { qos: 1, properties: { subscriptionIdentifier: 7 } });
    for (let n = 0; n < 6; n++) await publisher!.publishAsync("both/x", `m${n}`, { qos: 1 });
    const [ga, gb] = [got.get(a!)!, got.get(b!)!];
    await eventually(async () => ga.length >= 6 && gb.length >= 3);
    expect(gb.map((m) => m.qos)).toEqual([1, 1, 1]);
    const theirs = new Set(gb.map((m) => m.payload));
    expect(ga).toHaveLength(6);
    for (const m of ga) expect(m, m.payload).toMatchObject(theirs.has(m.payload) ? { qos: 0, ids: [4] } : { qos: 1, ids: [4, 7] });
    await Promise.all([a, b, publisher].map((c) => c!.endAsync()));
  });

  it("refuses a group member that may not receive some of its filter's topics: their turns went to it and were lost", async () => {
    const { id, key } = await apiJson<{ id: string; key: string }>("POST", "/v1/api-keys", 201, { body: { name: "shared-hide", scopes: ["devices:read"] } });
    await apiJson("POST", "/v1/policies", 201, { body: { id: "shared-hide", statements: [{ effect: "deny", actions: ["subscribe", "receive"], topics: ["devices/shared-hidden/#"] }] } });
    await apiJson("PUT", `/v1/policies/shared-hide/attachments/api-key/${id}`, 204);
    const hidden = await connectMqtt("/mqtt", { clientId: "shared-hide", username: "app", password: key, protocolVersion: 5 });
    const other = await connectMqtt("/mqtt", { clientId: "shared-see", username: "app", password: adminToken(), protocolVersion: 5 });
    // Before: SUBACK 1, and every other message of shared-hidden was PUBACKed and then dropped for the group.
    await expect(hidden.subscribeAsync("$share/hide/devices/+/telemetry", { qos: 1 })).rejects.toThrow(/Not authorized/);
    // What it may receive all of it may share; alone it may still subscribe wide.
    expect((await hidden.subscribeAsync("$share/hide/devices/shared-seen/telemetry", { qos: 1 }))[0]?.qos).toBe(1);
    expect((await hidden.subscribeAsync("devices/+/telemetry/alone", { qos: 1 }))[0]?.qos).toBe(1);
    const inbox = new Inbox(other);
    await other.subscribeAsync("$share/hide/devices/+/telemetry", { qos: 1 });
    const token = await createDevice("shared-hidden");
    const device = await connectMqtt("/mqtt/shared-hidden", { clientId: "shared-hidden", username: "shared-hidden", password: token, protocolVersion: 5 });
    for (let n = 0; n < 6; n++) await device.publishAsync("devices/shared-hidden/telemetry", JSON.stringify({ n }), { qos: 1 });
    await eventually(async () => inbox.messages.length >= 6);
    expect(inbox.messages.map((m) => (JSON.parse(String(m.payload)) as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 5]);
    await Promise.all([hidden, other, device].map((c) => c.endAsync()));
  });

  it("refuses a malformed ShareName, needs the right to subscribe to the filter, and No Local on a group is a protocol error", async () => {
    const key = await appKey("shared-refusals");
    // MQTT.js will not send a malformed ShareName: the bytes are written by hand.
    const raw = await RawMqtt.open("/mqtt", 5);
    expect((await raw.connect("shared-refused", null, { username: "app", password: new TextEncoder().encode(key) })).reasonCode).toBe(0);
    const sub = (filter: string, noLocal = false) => ({ filter, qos: 1 as const, noLocal, retainAsPublished: false, retainHandling: 0 as const });
    raw.send({ type: "subscribe", packetId: 1, subscriptions: [sub("$share/a+b/devices/+/telemetry"), sub("$share/g/devices/x/commands/#"), sub("$share/g"), sub("$share/g/devices/+/telemetry")] });
    expect(await raw.next("suback")).toMatchObject({ packetId: 1, reasonCodes: [0x8f, 0x87, 0x8f, 1] });
    raw.send({ type: "subscribe", packetId: 2, subscriptions: [sub("$share/g/devices/+/telemetry", true)] });
    expect(await raw.next("disconnect")).toMatchObject({ reasonCode: 0x82 });
    await raw.whenClosed();
  });
});
