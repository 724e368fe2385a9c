import { describe, expect, it } from "vitest";
import type { ProtocolVersion, SubscriptionRequest } from "./packets";
import { handlePacket } from "./session";
import { CTX, T0, message, online, publishes, sub, subscribed } from "./session.fixtures";
import { deliver } from "./session-outbound";
import { revalidate } from "./session-subscribe";
import type { SessionContext, SessionState } from "./session-types";

function subscribe(version: ProtocolVersion, subscriptions: SubscriptionRequest[], state = online(version), id?: number) {
  return handlePacket(state, { type: "subscribe", packetId: 7, subscriptions, properties: id === undefined ? undefined : { subscriptionIdentifier: id } }, CTX, T0);
}

describe("SUBACK codes, one per filter in order [MQTT-3.8.4-1]", () => {
  it.each<[string, SubscriptionRequest, number, number]>([
    ["own commands, QoS 2", sub("devices/d1/commands/#", 2), 2, 2],
    ["own shadow, QoS 0", sub("$aws/things/d1/shadow/update/delta", 0), 0, 0],
    ["another device's commands", sub("devices/d2/commands/#"), 0x80, 0x87],
    ["a wildcard over devices", sub("devices/+/commands/#"), 0x80, 0x87],
    ["everything", sub("#"), 0x80, 0x87],
    ["an invalid filter", sub("devices/d1/commands/#/x"), 0x80, 0x8f],
    ["a shared subscription to own commands", sub("$share/g/devices/d1/commands/#"), 1, 1],
    ["a shared subscription to another device's commands", sub("$share/g/devices/d2/commands/#"), 0x80, 0x87],
    ["a shared subscription without a filter [MQTT-4.8.2-1]", sub("$share/g"), 0x80, 0x8f],
    ["a shared subscription with a wildcard in its ShareName [MQTT-4.8.2-2]", sub("$share/+/devices/d1/commands/#"), 0x80, 0x8f],
  ])("%s → 3.1.1 %i, v5 %i", (_name, request, v4, v5) => {
    expect(subscribe(4, [request]).out).toEqual([{ type: "suback", packetId: 7, reasonCodes: [v4] }]);
    expect(subscribe(5, [request]).out).toEqual([{ type: "suback", packetId: 7, reasonCodes: [v5] }]);
  });

  it("grants and refuses filters of one packet independently", () => {
    const r = subscribe(5, [sub("devices/d1/commands/#", 1), sub("devices/d2/commands/#"), sub("channels/c1/messages/#", 0)]);
    expect(r.out).toEqual([{ type: "suback", packetId: 7, reasonCodes: [1, 0x87, 0] }]);
    expect(r.state.subscriptions.map((s) => s.filter)).toEqual(["devices/d1/commands/#", "channels/c1/messages/#"]);
    expect(r.persist).toBe(true);
  });

  it("refuses beyond the subscription quota (0x97)", () => {
    const state = online(5, {}, { maxSubscriptions: 1 });
    const r = subscribe(5, [sub("devices/d1/commands/a"), sub("devices/d1/commands/b"), sub("devices/d1/commands/a", 2)], state);
    expect(r.out[0]).toMatchObject({ reasonCodes: [1, 0x97, 2] });
  });

  it("a refused-only SUBSCRIBE leaves the state as it was", () => {
    const state = online(4);
    const r = subscribe(4, [sub("#")], state);
    expect(r.persist).toBe(false);
  });
});

describe("subscription state", () => {
  it("replaces an identical filter [MQTT-3.8.4-3]", () => {
    const first = subscribe(5, [sub("devices/d1/commands/#", 0)]).state;
    const r = subscribe(5, [sub("devices/d1/commands/#", 2, { noLocal: true })], first, 9);
    expect(r.state.subscriptions).toEqual([
      { filter: "devices/d1/commands/#", qos: 2, noLocal: true, retainAsPublished: false, retainHandling: 0, identifier: 9 },
    ]);
  });
  it("3.1.1 ignores v5 options", () => {
    const r = subscribe(4, [sub("devices/d1/commands/#", 1, { noLocal: true, retainAsPublished: true, retainHandling: 2 })], online(4), 5);
    expect(r.state.subscriptions[0]).toEqual({ filter: "devices/d1/commands/#", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 });
  });
});

describe("retained messages after SUBSCRIBE", () => {
  const filter = "devices/d1/commands/#";
  it.each<[string, ProtocolVersion, 0 | 1 | 2, boolean, boolean]>([
    ["3.1.1 always", 4, 0, true, true],
    ["v5 Retain Handling 0: always", 5, 0, true, true],
    ["v5 Retain Handling 1: only for a new subscription", 5, 1, true, false],
    ["v5 Retain Handling 2: never", 5, 2, false, false],
  ])("%s", (_name, version, rh, first, again) => {
    const one = subscribe(version, [sub(filter, 1, { retainHandling: rh })]);
    const two = subscribe(version, [sub(filter, 1, { retainHandling: rh })], one.state);
    const expected = [{ type: "deliverRetained", filter, qos: 1 }];
    expect(one.effects).toEqual(first ? expected : []);
    expect(two.effects).toEqual(again ? expected : []);
  });
  it("refused filters ask for nothing", () => {
    expect(subscribe(5, [sub("#")]).effects).toEqual([]);
  });
  it.each<ProtocolVersion>([4, 5])("a shared subscription asks for none (v5 §4.8.2), whatever its Retain Handling (%i)", (version) => {
    const r = subscribe(version, [sub(`$share/g/${filter}`, 1, { retainHandling: 0 })]);
    expect(r.out[0]).toMatchObject({ reasonCodes: [1] });
    expect(r.effects).toEqual([]);
  });
});

describe("UNSUBSCRIBE", () => {
  it("v5: 0x00 for a removed filter, 0x11 when none existed", () => {
    const state = subscribe(5, [sub("devices/d1/commands/#")]).state;
    const r = handlePacket(state, { type: "unsubscribe", packetId: 8, filters: ["devices/d1/commands/#", "channels/c1/messages"] }, CTX, T0);
    expect(r.out).toEqual([{ type: "unsuback", packetId: 8, reasonCodes: [0x00, 0x11] }]);
    expect(r.state.subscriptions).toEqual([]);
  });
  it("3.1.1: UNSUBACK even when nothing matched [MQTT-3.10.4-4]", () => {
    const r = handlePacket(online(4), { type: "unsubscribe", packetId: 8, filters: ["x"] }, CTX, T0);
    expect(r.out).toEqual([{ type: "unsuback", packetId: 8, reasonCodes: [] }]);
    expect(r.persist).toBe(false);
  });
  it("matches filters exactly, not by wildcard", () => {
    const state = subscribe(5, [sub("devices/d1/commands/a")]).state;
    const r = handlePacket(state, { type: "unsubscribe", packetId: 8, filters: ["devices/d1/commands/#"] }, CTX, T0);
    expect(r.state.subscriptions).toHaveLength(1);
  });
});

describe("revalidate: access changed", () => {
  it("drops queued and unacknowledged messages the client may no longer receive, keeps the rest, and refills the window", () => {
    // Receive Maximum 2: two in flight, the rest queued.
    let state = subscribed(online(5, { properties: { receiveMaximum: 2 } }), sub("channels/c1/messages/#", 1));
    for (const t of ["secret/1", "open/1", "secret/2", "open/2", "open/3"]) state = deliver(state, message(`channels/c1/messages/${t}`), CTX, T0).state;
    expect(state.inflight.map((e) => (e.phase === "publish" ? e.message.topic : "")).map((t) => t.split("/").slice(-2).join("/"))).toEqual(["secret/1", "open/1"]);
    const denySecret: SessionContext = { ...CTX, policy: [...CTX.policy, { effect: "deny", actions: ["receive"], topics: ["channels/c1/messages/secret/#"] }] };
    const r = revalidate(state, denySecret, T0 + 1);
    // Before: secret/2 stayed queued and went out (a reconnect would have resent secret/1).
    const topics = (s: SessionState) => [...s.inflight.map((e) => (e.phase === "publish" ? e.message.topic : "pubrel")), ...s.queue.map((m) => m.topic)];
    expect(topics(r.state)).toEqual(["channels/c1/messages/open/1", "channels/c1/messages/open/2", "channels/c1/messages/open/3"]);
    expect(r.effects).toContainEqual({ type: "dropped", topic: "channels/c1/messages/secret/1", reason: "not-authorized" });
    expect(r.effects).toContainEqual({ type: "dropped", topic: "channels/c1/messages/secret/2", reason: "not-authorized" });
    // The freed slot goes to the next queued message at once.
    expect(publishes(r.out).map((p) => p.topic)).toEqual(["channels/c1/messages/open/2"]);
    expect(r.persist).toBe(true);
    // Nothing to withhold: the same state, nothing written.
    expect(revalidate(r.state, denySecret, T0 + 2)).toMatchObject({ state: r.state, persist: false, out: [] });
  });

  it("keeps the will: it is checked when it is sent, against the rights of that moment", () => {
    const will = { topic: "channels/c1/messages/gone", payload: new TextEncoder().encode("bye"), qos: 1 as const, retain: false };
    const state = online(5, { will });
    const left: SessionContext = { ...CTX, variables: { deviceId: "d1", channel: [] } };
    expect(revalidate(state, left, T0 + 1).state.will).toEqual(state.will);
  });
});
