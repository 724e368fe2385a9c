import { describe, expect, it } from "vitest";
import { connect, connectionLost, deliver, handlePacket, type SessionState } from "./session";
import { CTX, OK, T0, connectOf, message, online, publishes, sub, subscribed } from "./session.fixtures";

const CMD = "devices/d1/commands/reboot";
const persistent5 = { clean: false, properties: { sessionExpiryInterval: 3600 } };

function onlineWith(version: 4 | 5, extra = {}, limits = {}): SessionState {
  return subscribed(online(version, extra, limits), sub("devices/d1/commands/#", 2));
}

describe("deliver while connected", () => {
  it("QoS is the minimum of message and subscription QoS", () => {
    const state = subscribed(online(4), sub("devices/d1/commands/#", 1));
    expect(publishes(deliver(state, message(CMD, 2), CTX, T0).out)[0]).toMatchObject({ qos: 1, packetId: 1 });
    expect(publishes(deliver(state, message(CMD, 0), CTX, T0).out)[0]).toMatchObject({ qos: 0 });
  });
  it("QoS 0 goes straight out and changes nothing", () => {
    const state = onlineWith(4);
    const r = deliver(state, message(CMD, 0), CTX, T0);
    expect(r.out).toEqual([{ type: "publish", topic: CMD, payload: new TextEncoder().encode(CMD), qos: 0, retain: false, dup: false }]);
    expect(r.persist).toBe(false);
  });
  it("QoS 1/2 get packet ids and are tracked in flight", () => {
    let state = onlineWith(4);
    const a = deliver(state, message(CMD, 1), CTX, T0);
    state = a.state;
    const b = deliver(state, message(CMD, 2), CTX, T0);
    expect(publishes(a.out)[0]).toMatchObject({ packetId: 1, qos: 1 });
    expect(publishes(b.out)[0]).toMatchObject({ packetId: 2, qos: 2 });
    expect(b.state.inflight.map((e) => [e.packetId, e.phase])).toEqual([[1, "publish"], [2, "publish"]]);
    expect(b.persist).toBe(true);
  });
  it("ignores messages no subscription matches", () => {
    const state = onlineWith(4);
    const r = deliver(state, message("devices/d1/telemetry", 1), CTX, T0);
    expect(r).toEqual({ state, out: [], effects: [], persist: false });
  });
  it("drops what the policy does not let the device receive", () => {
    const state = { ...onlineWith(4), subscriptions: [{ filter: "#", qos: 1 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 as const }] };
    expect(deliver(state, message("devices/d2/commands/x"), CTX, T0).effects).toEqual([{ type: "dropped", topic: "devices/d2/commands/x", reason: "not-authorized" }]);
  });
});

describe("flow control and the queue", () => {
  it("respects the client's Receive Maximum, queues the rest, sends on PUBACK", () => {
    let state = onlineWith(5, { properties: { receiveMaximum: 2 } });
    for (let i = 0; i < 4; i++) state = deliver(state, message(CMD, 1), CTX, T0).state;
    expect(state.inflight).toHaveLength(2);
    expect(state.queue).toHaveLength(2);
    const r = handlePacket(state, { type: "puback", packetId: 1, reasonCode: 0 }, CTX, T0);
    expect(publishes(r.out).map((p) => p.packetId)).toEqual([3]);
    expect(r.state.inflight.map((e) => e.packetId)).toEqual([2, 3]);
    expect(r.state.queue).toHaveLength(1);
  });
  it("QoS 2: PUBREC → PUBREL, PUBCOMP → done", () => {
    const sent = deliver(onlineWith(4), message(CMD, 2), CTX, T0).state;
    const rec = handlePacket(sent, { type: "pubrec", packetId: 1 }, CTX, T0);
    expect(rec.out).toEqual([{ type: "pubrel", packetId: 1 }]);
    expect(rec.state.inflight).toEqual([{ packetId: 1, phase: "pubrel" }]);
    const again = handlePacket(rec.state, { type: "pubrec", packetId: 1 }, CTX, T0);
    expect(again.out).toEqual([{ type: "pubrel", packetId: 1 }]);
    const comp = handlePacket(rec.state, { type: "pubcomp", packetId: 1 }, CTX, T0);
    expect(comp.state.inflight).toEqual([]);
  });
  it("v5 PUBREC with a failure code ends the QoS 2 flow", () => {
    const sent = deliver(onlineWith(5), message(CMD, 2), CTX, T0).state;
    const r = handlePacket(sent, { type: "pubrec", packetId: 1, reasonCode: 0x80 }, CTX, T0);
    expect(r.out).toEqual([]);
    expect(r.state.inflight).toEqual([]);
  });
  it("PUBREC for an unknown id → PUBREL 0x92 (v5); stray PUBACK/PUBCOMP ignored", () => {
    const state = onlineWith(5);
    expect(handlePacket(state, { type: "pubrec", packetId: 9, reasonCode: 0 }, CTX, T0).out).toEqual([{ type: "pubrel", packetId: 9, reasonCode: 0x92 }]);
    expect(handlePacket(state, { type: "puback", packetId: 9, reasonCode: 0 }, CTX, T0).persist).toBe(false);
    expect(handlePacket(state, { type: "pubcomp", packetId: 9, reasonCode: 0 }, CTX, T0).persist).toBe(false);
  });
  it("packet ids wrap after 65535 and skip ids still in flight", () => {
    let state = { ...onlineWith(4), nextPacketId: 65535 };
    state = deliver(state, message(CMD, 1), CTX, T0).state;
    state = { ...state, nextPacketId: 65535 };
    const r = deliver(state, message(CMD, 1), CTX, T0);
    expect(publishes(r.out)[0].packetId).toBe(1);
  });
});

describe("offline persistent session", () => {
  const offline = (limits = {}) => connectionLost(onlineWith(5, persistent5, limits), T0).state;

  it("queues QoS 1/2, drops QoS 0", () => {
    let state = offline();
    const zero = deliver(state, message(CMD, 0), CTX, T0);
    expect(zero.effects).toEqual([{ type: "dropped", topic: CMD, reason: "offline" }]);
    state = deliver(state, message(CMD, 1), CTX, T0).state;
    state = deliver(state, message(CMD, 2), CTX, T0).state;
    expect(state.queue.map((m) => m.qos)).toEqual([1, 2]);
    expect(state.inflight).toEqual([]);
  });
  it("drops beyond the configured queue size, pruning expired messages first", () => {
    let state = offline({ maxQueued: 2 });
    state = deliver(state, message(CMD, 1, { expiresAt: T0 + 1000 }), CTX, T0).state;
    state = deliver(state, message(CMD, 1), CTX, T0).state;
    const full = deliver(state, message(CMD, 1), CTX, T0);
    expect(full.effects).toEqual([{ type: "dropped", topic: CMD, reason: "queue-full" }]);
    const pruned = deliver(state, message(CMD, 1), CTX, T0 + 1000);
    expect(pruned.state.queue).toHaveLength(2);
  });
  it("a clean session takes nothing once it has ended", () => {
    const state = connectionLost(onlineWith(4), T0).state;
    expect(deliver(state, message(CMD, 1), CTX, T0)).toMatchObject({ out: [], effects: [], persist: false });
  });
  it("on reconnect: CONNACK, in-flight resent with DUP, PUBRELs, then the queue [MQTT-4.4.0-1]", () => {
    let state = onlineWith(5, { ...persistent5, properties: { ...persistent5.properties, receiveMaximum: 2 } });
    state = deliver(state, message(CMD, 1), CTX, T0).state; // id 1, unacked
    state = deliver(state, message(CMD, 2), CTX, T0).state; // id 2
    state = handlePacket(state, { type: "pubrec", packetId: 2, reasonCode: 0 }, CTX, T0).state; // → pubrel phase
    state = connectionLost(state, T0).state;
    state = deliver(state, message(CMD, 1), CTX, T0).state; // queued
    const r = connect(state, connectOf(5, persistent5), OK, CTX, T0 + 1000);
    expect(r.out.map((p) => p.type)).toEqual(["connack", "publish", "pubrel", "publish"]);
    expect(r.out[1]).toMatchObject({ type: "publish", packetId: 1, dup: true });
    expect(r.out[2]).toEqual({ type: "pubrel", packetId: 2, reasonCode: 0 });
    expect(r.out[3]).toMatchObject({ type: "publish", packetId: 3, dup: false });
  });
});

describe("v5 message properties on delivery", () => {
  it("passes attributes through and sends the remaining expiry", () => {
    const state = onlineWith(5);
    const correlationData = new Uint8Array([7]);
    const m = message(CMD, 1, {
      expiresAt: T0 + 10_500,
      properties: { contentType: "text/plain", responseTopic: "devices/d1/telemetry/r", correlationData, userProperties: [["k", "v"]], payloadFormatIndicator: true },
    });
    const [p] = publishes(deliver(state, m, CTX, T0).out);
    expect(p.properties).toEqual({ contentType: "text/plain", responseTopic: "devices/d1/telemetry/r", correlationData, userProperties: [["k", "v"]], payloadFormatIndicator: true, messageExpiryInterval: 11 });
  });
  it("decrements the expiry of a queued message and drops it once expired [MQTT-3.3.2-5]", () => {
    let state = connectionLost(onlineWith(5, persistent5), T0).state;
    state = deliver(state, message(CMD, 1, { expiresAt: T0 + 60_000 }), CTX, T0).state;
    state = deliver(state, message(CMD, 1, { expiresAt: T0 + 5_000 }), CTX, T0).state;
    const r = connect(state, connectOf(5, persistent5), OK, CTX, T0 + 20_000);
    expect(publishes(r.out).map((p) => p.properties?.messageExpiryInterval)).toEqual([40]);
    expect(r.effects).toContainEqual({ type: "dropped", topic: CMD, reason: "expired" });
  });
  it("drops an already expired message", () => {
    expect(deliver(onlineWith(5), message(CMD, 1, { expiresAt: T0 }), CTX, T0).effects).toEqual([{ type: "dropped", topic: CMD, reason: "expired" }]);
  });
  it("3.1.1 gets no properties", () => {
    const [p] = publishes(deliver(onlineWith(4), message(CMD, 1, { properties: { contentType: "x" }, expiresAt: T0 + 5000 }), CTX, T0).out);
    expect(p.properties).toBeUndefined();
  });
  it("drops messages larger than the client's Maximum Packet Size [MQTT-3.1.2-25]", () => {
    const state = onlineWith(5, { properties: { maximumPacketSize: 64 } });
    const big = deliver(state, message(CMD, 1, { payload: new Uint8Array(100) }), CTX, T0);
    expect(big.effects).toEqual([{ type: "dropped", topic: CMD, reason: "too-large" }]);
    expect(big.state.inflight).toEqual([]);
    expect(publishes(deliver(state, message(CMD, 1), CTX, T0).out)).toHaveLength(1);
  });
});

describe("subscription options on delivery", () => {
  it("a shared subscription delivers by its filter, with its QoS and subscription id", () => {
    const state = handlePacket(online(5), { type: "subscribe", packetId: 1, subscriptions: [sub("$share/g/devices/d1/commands/#", 1)], properties: { subscriptionIdentifier: 6 } }, CTX, T0).state;
    const [p] = publishes(deliver(state, message(CMD, 2, { sharedBy: ["$share/g/devices/d1/commands/#"] }), CTX, T0).out);
    expect(p).toMatchObject({ topic: CMD, qos: 1, properties: { subscriptionIdentifiers: [6] } });
    expect(deliver(state, message("devices/d1/other", 1, { sharedBy: ["$share/g/devices/d1/commands/#"] }), CTX, T0).out).toEqual([]);
    // the group gave it to another member: nothing from this subscription
    expect(deliver(state, message(CMD, 2), CTX, T0).out).toEqual([]);
  });
  it("a shared subscription adds nothing to a message its group gave another member (§4.8.2, [MQTT-3.8.4-8], [MQTT-3.3.4-3])", () => {
    // An ordinary subscription at QoS 0 (id 4) and a shared one at QoS 1 (id 7) matching the same topics.
    let state = handlePacket(online(5), { type: "subscribe", packetId: 1, subscriptions: [sub("channels/c1/messages/#", 0)], properties: { subscriptionIdentifier: 4 } }, CTX, T0).state;
    state = handlePacket(state, { type: "subscribe", packetId: 2, subscriptions: [sub("$share/g/channels/c1/messages/#", 1)], properties: { subscriptionIdentifier: 7 } }, CTX, T0).state;
    const topic = "channels/c1/messages/x";
    const [other] = publishes(deliver(state, message(topic, 1), CTX, T0).out);
    expect(other).toMatchObject({ topic, qos: 0, properties: { subscriptionIdentifiers: [4] } });
    const [mine] = publishes(deliver(state, message(topic, 1, { sharedBy: ["$share/g/channels/c1/messages/#"] }), CTX, T0).out);
    expect(mine).toMatchObject({ topic, qos: 1, properties: { subscriptionIdentifiers: [4, 7] } });
  });
  it("No Local: not back to the publisher", () => {
    const state = subscribed(online(5), sub("channels/c1/messages/#", 1, { noLocal: true }));
    expect(deliver(state, message("channels/c1/messages/x", 1, { origin: "d1" }), CTX, T0).out).toEqual([]);
    expect(publishes(deliver(state, message("channels/c1/messages/x", 1, { origin: "d2" }), CTX, T0).out)).toHaveLength(1);
  });
  it("Retain As Published keeps RETAIN; otherwise it is cleared [MQTT-3.3.1-9]", () => {
    const rap = subscribed(online(5), sub(CMD, 1, { retainAsPublished: true }));
    const plain = subscribed(online(5), sub(CMD, 1));
    expect(publishes(deliver(rap, message(CMD, 1, { retain: true }), CTX, T0).out)[0].retain).toBe(true);
    expect(publishes(deliver(plain, message(CMD, 1, { retain: true }), CTX, T0).out)[0].retain).toBe(false);
  });
  it("retained delivery for a new subscription keeps RETAIN = 1 and uses only that filter", () => {
    const state = subscribed(online(5), sub("devices/d1/commands/#", 0), sub(CMD, 2));
    const [p] = publishes(deliver(state, message(CMD, 2, { retain: true }), CTX, T0, { retainedFor: "devices/d1/commands/#" }).out);
    expect(p).toMatchObject({ retain: true, qos: 0 });
  });
  it("overlapping subscriptions: one copy, highest QoS, every subscription id", () => {
    let state = online(5);
    state = handlePacket(state, { type: "subscribe", packetId: 1, subscriptions: [sub("devices/d1/commands/#", 1)], properties: { subscriptionIdentifier: 4 } }, CTX, T0).state;
    state = handlePacket(state, { type: "subscribe", packetId: 2, subscriptions: [sub("devices/d1/commands/+", 2)], properties: { subscriptionIdentifier: 9 } }, CTX, T0).state;
    const out = publishes(deliver(state, message(CMD, 2), CTX, T0).out);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ qos: 2, properties: { subscriptionIdentifiers: [4, 9] } });
  });
});

describe("state stays plain JSON", () => {
  it("survives JSON round trips at every step", () => {
    let state = onlineWith(5, persistent5);
    const steps = [
      (s: SessionState) => deliver(s, message(CMD, 2, { properties: { correlationData: new Uint8Array([1, 2, 3]) } }), CTX, T0).state,
      (s: SessionState) => deliver(s, message(CMD, 1), CTX, T0).state,
      (s: SessionState) => handlePacket(s, { type: "pubrec", packetId: 1, reasonCode: 0 }, CTX, T0).state,
      (s: SessionState) => connectionLost(s, T0).state,
      (s: SessionState) => deliver(s, message(CMD, 1, { expiresAt: T0 + 9000 }), CTX, T0).state,
    ];
    for (const step of steps) {
      state = step(state);
      const copy = JSON.parse(JSON.stringify(state)) as SessionState;
      expect(copy).toEqual(state);
    }
    const r = connect(JSON.parse(JSON.stringify(state)) as SessionState, connectOf(5, persistent5), OK, CTX, T0 + 1);
    expect(r.out.map((p) => p.type)).toEqual(["connack", "pubrel", "publish", "publish"]);
  });
});

describe("outbound topic aliases (v5 §3.3.2.3.4)", () => {
  const CMD2 = "devices/d1/commands/blink";
  it("sets an alias with the first PUBLISH of a topic and sends only the alias after, within the client's maximum", () => {
    let state = onlineWith(5, { properties: { topicAliasMaximum: 1 } });
    const out: ReturnType<typeof publishes> = [];
    for (const [topic, qos] of [[CMD, 0], [CMD, 1], [CMD, 2], [CMD2, 1]] as const) {
      const r = deliver(state, message(topic, qos), CTX, T0);
      state = r.state;
      out.push(...publishes(r.out));
    }
    expect(out.map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      [CMD, 1],
      ["", 1],
      ["", 1],
      [CMD2, undefined], // the client's maximum (1) is used up
    ]);
  });
  it("sends none when the client allows none, and none to 3.1.1", () => {
    for (const state of [onlineWith(5), onlineWith(4)]) {
      const a = deliver(state, message(CMD, 1), CTX, T0);
      const b = deliver(a.state, message(CMD, 1), CTX, T0);
      expect([...publishes(a.out), ...publishes(b.out)].map((p) => p.topic)).toEqual([CMD, CMD]);
    }
  });
  it("starts afresh on a new connection: a resent message carries its whole topic", () => {
    let state = onlineWith(5, { ...persistent5, properties: { ...persistent5.properties, topicAliasMaximum: 5 } });
    state = deliver(state, message(CMD, 1), CTX, T0).state;
    state = deliver(state, message(CMD, 1), CTX, T0).state;
    state = connectionLost(state, T0).state;
    const back = connect(state, connectOf(5, { ...persistent5, properties: { ...persistent5.properties, topicAliasMaximum: 5 } }), OK, CTX, T0);
    expect(publishes(back.out).map((p) => [p.topic, p.properties?.topicAlias, p.dup])).toEqual([
      [CMD, 1, true],
      ["", 1, true],
    ]);
  });
});
