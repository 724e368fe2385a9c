import { describe, expect, it } from "vitest";
import { connect, connectionLost, handlePacket, releaseRefused } from "./session";
import { CTX, OK, T0, connectOf, online, publishOf, run } from "./session.fixtures";

const TOPIC = "devices/d1/telemetry";

describe("PUBLISH QoS 0/1: the ack waits for durability", () => {
  it("QoS 0 → publish effect, no ack, nothing to persist", () => {
    const r = handlePacket(online(4), publishOf(TOPIC, 0), CTX, T0);
    expect(r.out).toEqual([]);
    expect(r.effects).toEqual([{ type: "publish", message: { topic: TOPIC, payload: new TextEncoder().encode("x"), qos: 0, retain: false, origin: "d1" }, ack: null }]);
    expect(r.persist).toBe(false);
  });
  it("QoS 1 → publish effect carrying the PUBACK, nothing in out", () => {
    const r = handlePacket(online(4), publishOf(TOPIC, 1, 42, { retain: true }), CTX, T0);
    expect(r.out).toEqual([]);
    expect(r.effects).toEqual([{ type: "publish", message: expect.objectContaining({ topic: TOPIC, qos: 1, retain: true }), ack: { type: "puback", packetId: 42 } }]);
    expect(r.persist).toBe(false);
  });
  it("v5 acks carry a reason code", () => {
    const r = handlePacket(online(5), publishOf(TOPIC, 1, 42), CTX, T0);
    expect(r.effects[0]).toMatchObject({ ack: { type: "puback", packetId: 42, reasonCode: 0 } });
  });
});

describe("PUBLISH QoS 2: exactly once", () => {
  it("first PUBLISH: effect with PUBREC, id remembered; resend: PUBREC only; PUBREL: PUBCOMP", () => {
    const first = handlePacket(online(4), publishOf(TOPIC, 2, 5), CTX, T0);
    expect(first.effects).toEqual([{ type: "publish", message: expect.objectContaining({ qos: 2 }), ack: { type: "pubrec", packetId: 5 } }]);
    expect(first.state.awaitingRelease).toEqual([5]);
    expect(first.persist).toBe(true);

    const again = handlePacket(first.state, publishOf(TOPIC, 2, 5, { dup: true }), CTX, T0);
    expect(again.effects).toEqual([{ type: "publish", message: expect.objectContaining({ qos: 2 }), ack: { type: "pubrec", packetId: 5 }, resent: true }]);
    expect(again.out).toEqual([]);
    expect(again.state.awaitingRelease).toEqual([5]);

    const rel = handlePacket(again.state, { type: "pubrel", packetId: 5 }, CTX, T0);
    expect(rel.out).toEqual([{ type: "pubcomp", packetId: 5 }]);
    expect(rel.state.awaitingRelease).toEqual([]);

    const reused = handlePacket(rel.state, publishOf(TOPIC, 2, 5), CTX, T0);
    expect(reused.effects).toHaveLength(1);
  });
  it.each([4, 5] as const)("a resend naming a topic the client may not publish on is refused with a disconnect, never routed (v%i)", (version) => {
    const first = handlePacket(online(version), publishOf("channels/c1/messages", 2, 7), CTX, T0);
    expect(first.state.awaitingRelease).toEqual([7]);
    for (const topic of ["devices/d2/telemetry", "devices/d1/presence", "$aws/things/d2/shadow/update/accepted", "devices/d2/commands/reboot"]) {
      const resent = handlePacket(first.state, publishOf(topic, 2, 7, { dup: true }), CTX, T0);
      // Before: PUBREC 0 and a publish effect, routed to wherever the topic led.
      expect(resent.effects.some((e) => e.type === "publish")).toBe(false);
      expect(resent.state.connected).toBe(false);
      if (version === 5) expect(resent.out).toEqual([expect.objectContaining({ type: "disconnect", reasonCode: 0x87 })]);
    }
  });
  it("the id survives a reconnect to the same session", () => {
    const first = handlePacket(online(4, { clean: false }), publishOf(TOPIC, 2, 5), CTX, T0);
    const back = connect(connectionLost(first.state, T0).state, connectOf(4, { clean: false }), OK, CTX, T0).state;
    const resent = handlePacket(back, publishOf(TOPIC, 2, 5, { dup: true }), CTX, T0);
    expect(resent.effects).toEqual([expect.objectContaining({ type: "publish", ack: { type: "pubrec", packetId: 5 }, resent: true })]);
    expect(resent.out).toEqual([]);
  });
  it("a refused message's id is free again: the next PUBLISH with it is a new message, not a resend", () => {
    const taken = handlePacket(online(5), publishOf(TOPIC, 2, 5), CTX, T0);
    const released = releaseRefused(taken.state, [5]);
    expect(released.state.awaitingRelease).toEqual([]);
    expect(released.persist).toBe(true);
    const reused = handlePacket(released.state, publishOf(TOPIC, 2, 5), CTX, T0);
    expect(reused.effects).toEqual([expect.objectContaining({ type: "publish" })]);
    expect(reused.effects[0]).not.toHaveProperty("resent");
  });
  it("PUBREL for an unknown id: PUBCOMP (0x92 in v5)", () => {
    expect(handlePacket(online(4), { type: "pubrel", packetId: 9 }, CTX, T0).out).toEqual([{ type: "pubcomp", packetId: 9 }]);
    expect(handlePacket(online(5), { type: "pubrel", packetId: 9, reasonCode: 0 }, CTX, T0).out).toEqual([{ type: "pubcomp", packetId: 9, reasonCode: 0x92 }]);
  });
  it("more unreleased QoS 2 than our Receive Maximum → DISCONNECT 0x93", () => {
    const state = online(5, {}, { receiveMaximum: 2 });
    const { results } = run(state, [publishOf(TOPIC, 2, 1), publishOf(TOPIC, 2, 2), publishOf(TOPIC, 2, 3)]);
    expect(results[2].out).toEqual([{ type: "disconnect", reasonCode: 0x93 }]);
  });
});

describe("PUBLISH the policy refuses", () => {
  const other = "devices/d2/telemetry";
  it("v5 QoS 0: dropped quietly", () => {
    const r = handlePacket(online(5), publishOf(other, 0), CTX, T0);
    expect(r.effects).toEqual([{ type: "dropped", topic: other, reason: "not-authorized" }]);
  });
  it("v5 QoS 1: PUBACK 0x87", () => {
    expect(handlePacket(online(5), publishOf(other, 1, 3), CTX, T0).out).toEqual([{ type: "puback", packetId: 3, reasonCode: 0x87 }]);
  });
  it("v5 QoS 2: PUBREC 0x87 and the id is not kept", () => {
    const r = handlePacket(online(5), publishOf(other, 2, 3), CTX, T0);
    expect(r.out).toEqual([{ type: "pubrec", packetId: 3, reasonCode: 0x87 }]);
    expect(r.state.awaitingRelease).toEqual([]);
  });
  it("3.1.1: the connection is closed [MQTT-3.3.5-2]", () => {
    const r = handlePacket(online(4), publishOf(other, 1, 3), CTX, T0);
    expect(r.out).toEqual([]);
    expect(r.effects).toContainEqual({ type: "close", reasonCode: 0x87 });
    expect(r.state.connected).toBe(false);
  });
});

describe("v5 topic aliases", () => {
  const withAlias = (topic: string, alias: number, packetId = 1) => publishOf(topic, 1, packetId, { properties: { topicAlias: alias } });
  it("sets an alias, then resolves an empty topic through it", () => {
    const { state, results } = run(online(5), [withAlias(TOPIC, 3), withAlias("", 3, 2)]);
    expect(results[0].persist).toBe(true);
    expect(results[1].effects[0]).toMatchObject({ message: { topic: TOPIC } });
    expect(state.topicAliases).toEqual({ "3": TOPIC });
  });
  it("an alias may be remapped", () => {
    const { results } = run(online(5), [withAlias(TOPIC, 1), withAlias("devices/d1/telemetry/b", 1), withAlias("", 1)]);
    expect(results[2].effects[0]).toMatchObject({ message: { topic: "devices/d1/telemetry/b" } });
  });
  it("an alias above our Topic Alias Maximum → DISCONNECT 0x94", () => {
    const r = handlePacket(online(5, {}, { topicAliasMaximum: 2 }), withAlias(TOPIC, 3), CTX, T0);
    expect(r.out).toEqual([{ type: "disconnect", reasonCode: 0x94 }]);
  });
  it("an unknown alias with an empty topic → DISCONNECT 0x82", () => {
    expect(handlePacket(online(5), withAlias("", 4), CTX, T0).out).toEqual([{ type: "disconnect", reasonCode: 0x82 }]);
  });
  it("aliases do not outlive the connection", () => {
    const state = run(online(5, { clean: false, properties: { sessionExpiryInterval: 60 } }), [withAlias(TOPIC, 1)]).state;
    const back = connect(connectionLost(state, T0).state, connectOf(5, { clean: false }), OK, CTX, T0).state;
    expect(back.topicAliases).toEqual({});
  });
  it("the authorization check uses the resolved topic", () => {
    const { results } = run(online(5), [withAlias("devices/d2/telemetry", 1), withAlias("", 1, 2)]);
    expect(results[1].out).toEqual([{ type: "puback", packetId: 2, reasonCode: 0x87 }]);
  });
});

describe("message attributes", () => {
  it("passes v5 properties through; expiry becomes an absolute time; the alias is not forwarded", () => {
    const correlationData = new Uint8Array([1, 2]);
    const r = handlePacket(
      online(5),
      publishOf(TOPIC, 1, 1, {
        properties: { topicAlias: 1, messageExpiryInterval: 30, contentType: "application/json", responseTopic: "devices/d1/telemetry/r", correlationData, userProperties: [["a", "1"]], payloadFormatIndicator: true },
      }),
      CTX,
      T0,
    );
    expect(r.effects[0]).toMatchObject({
      message: {
        expiresAt: T0 + 30_000,
        properties: { contentType: "application/json", responseTopic: "devices/d1/telemetry/r", correlationData, userProperties: [["a", "1"]], payloadFormatIndicator: true },
      },
    });
    const properties = (r.effects[0] as { message: { properties: object } }).message.properties;
    expect(properties).not.toHaveProperty("topicAlias");
  });
  it("a payload marked UTF-8 that is not: PUBACK 0x99", () => {
    const p = publishOf(TOPIC, 1, 4, { payload: new Uint8Array([0xff]), properties: { payloadFormatIndicator: true } });
    expect(handlePacket(online(5), p, CTX, T0).out).toEqual([{ type: "puback", packetId: 4, reasonCode: 0x99 }]);
  });
});

describe("a refused 3.1.1 PUBLISH with refusedPublish: acknowledge", () => {
  it("is acknowledged and dropped instead of closing the connection [MQTT-3.3.5-2]", () => {
    const state = online(4, {}, { refusedPublish: "acknowledge" });
    const r = handlePacket(state, publishOf("devices/d2/telemetry", 1, 9), CTX, T0);
    expect(r.out).toEqual([{ type: "puback", packetId: 9 }]);
    expect(r.effects.some((e) => e.type === "publish" || e.type === "close")).toBe(false);
    expect(r.state.connected).toBe(true);
  });
});
