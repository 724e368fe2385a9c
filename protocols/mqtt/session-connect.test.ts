import { describe, expect, it } from "vitest";
import type { AuthResult } from "./session";
import { connect, connectionLost, createSession, deliver, handlePacket, isExpired, NEVER_EXPIRES } from "./session";
import { CTX, OK, T0, connectOf, message, online, publishes, sub, subscribed } from "./session.fixtures";
import type { ProtocolVersion } from "./packets";

describe("CONNECT accepted", () => {
  it("3.1.1 clean session: CONNACK 0, no session present, expiry 0", () => {
    const r = connect(createSession("d1"), connectOf(4), OK, CTX, T0);
    expect(r.out).toEqual([{ type: "connack", sessionPresent: false, reasonCode: 0 }]);
    expect(r.effects).toEqual([]);
    expect(r.persist).toBe(true);
    expect(r.state).toMatchObject({ connected: true, exists: true, expiryInterval: 0, keepAlive: 60, lastActivity: T0, protocolVersion: 4 });
  });

  it("v5 advertises the server's limits (shared subscriptions are available: the property is left out)", () => {
    const r = connect(createSession("d1", { receiveMaximum: 10, topicAliasMaximum: 4, maximumPacketSize: 1000 }), connectOf(5), OK, CTX, T0);
    expect(r.out[0]).toEqual({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      properties: { receiveMaximum: 10, maximumPacketSize: 1000, topicAliasMaximum: 4 },
    });
  });

  it("v5 records the client's Receive Maximum, Maximum Packet Size and Topic Alias Maximum", () => {
    const state = online(5, { properties: { receiveMaximum: 3, maximumPacketSize: 500, topicAliasMaximum: 2 } });
    expect(state.client).toEqual({ receiveMaximum: 3, maximumPacketSize: 500, topicAliasMaximum: 2 });
    expect(online(4).client).toEqual({ receiveMaximum: 65535, maximumPacketSize: 0, topicAliasMaximum: 0 });
  });

  it("MQTT 3.1 (MQIsdp) connects like 3.1.1", () => {
    const r = connect(createSession("d1"), connectOf(3), OK, CTX, T0);
    expect(r.out).toEqual([{ type: "connack", sessionPresent: false, reasonCode: 0 }]);
    expect(r.state.protocolVersion).toBe(3);
  });
});

describe("CONNECT refused (state untouched, then close)", () => {
  it.each<[string, ProtocolVersion, AuthResult, number]>([
    ["bad credentials, 3.1.1", 4, { ok: false, reason: "bad-credentials" }, 0x05],
    ["bad credentials, v5", 5, { ok: false, reason: "bad-credentials" }, 0x86],
    ["not authorized, 3.1.1", 4, { ok: false, reason: "not-authorized" }, 0x05],
    ["not authorized, v5", 5, { ok: false, reason: "not-authorized" }, 0x87],
    ["banned, v5", 5, { ok: false, reason: "banned" }, 0x8a],
    ["server unavailable, 3.1.1", 4, { ok: false, reason: "server-unavailable" }, 0x03],
    ["server unavailable, v5", 5, { ok: false, reason: "server-unavailable" }, 0x88],
  ])("%s → %i", (_name, version, auth, code) => {
    const before = createSession("d1");
    const r = connect(before, connectOf(version), auth, CTX, T0);
    expect(r.out).toEqual([{ type: "connack", sessionPresent: false, reasonCode: code }]);
    expect(r.effects).toEqual([{ type: "close", reasonCode: code }]);
    expect(r.state).toBe(before);
    expect(r.persist).toBe(false);
  });

  it("keeps a stored session when the credentials are wrong", () => {
    const stored = connectionLost(subscribed(online(4, { clean: false }), sub("devices/d1/commands/#")), T0).state;
    const r = connect(stored, connectOf(4, { clean: false }), { ok: false, reason: "bad-credentials" }, CTX, T0);
    expect(r.state).toBe(stored);
  });

  it.each<[string, ProtocolVersion, string, boolean, number]>([
    ["another client id, 3.1.1", 4, "d2", true, 0x02],
    ["another client id, v5", 5, "d2", true, 0x85],
    ["empty id with Clean Session 0 [MQTT-3.1.3-8]", 4, "", false, 0x02],
  ])("%s → %i", (_name, version, clientId, clean, code) => {
    const r = connect(createSession("d1"), connectOf(version, { clientId, clean }), OK, CTX, T0);
    expect(r.out).toEqual([{ type: "connack", sessionPresent: false, reasonCode: code }]);
  });

  it("enhanced authentication is not offered (0x8C)", () => {
    const r = connect(createSession("d1"), connectOf(5, { properties: { authenticationMethod: "SCRAM-SHA-1" } }), OK, CTX, T0);
    expect(r.out[0]).toMatchObject({ reasonCode: 0x8c });
  });

  it.each<[ProtocolVersion, number]>([
    [4, 0x05],
    [5, 0x87],
  ])("a will on a topic the device may not publish (level %i → %i)", (version, code) => {
    const will = { topic: "devices/d2/telemetry", payload: new Uint8Array(), qos: 0 as const, retain: false };
    const r = connect(createSession("d1"), connectOf(version, { will }), OK, CTX, T0);
    expect(r.out[0]).toMatchObject({ type: "connack", reasonCode: code });
  });
});

describe("empty client id", () => {
  it("3.1.1 clean session: takes the session's id", () => {
    const r = connect(createSession("d1"), connectOf(4, { clientId: "" }), OK, CTX, T0);
    expect(r.out[0]).toMatchObject({ reasonCode: 0 });
  });
  it("v5: assigned and told to the client", () => {
    const r = connect(createSession("d1"), connectOf(5, { clientId: "", clean: false }), OK, CTX, T0);
    expect(r.out[0]).toMatchObject({ reasonCode: 0, properties: { assignedClientIdentifier: "d1" } });
  });
});

describe("session present", () => {
  const persistent = (version: ProtocolVersion) =>
    version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false };

  it.each([4, 5] as const)("resumes a persistent session (level %i) [MQTT-3.2.2-2]", (version) => {
    let state = subscribed(online(version, persistent(version)), sub("devices/d1/commands/#"));
    state = handlePacket(state, { type: "disconnect", reasonCode: version === 5 ? 0 : undefined }, CTX, T0).state;
    const r = connect(state, connectOf(version, persistent(version)), OK, CTX, T0 + 1000);
    expect(r.out[0]).toMatchObject({ type: "connack", sessionPresent: true, reasonCode: 0 });
    expect(r.state.subscriptions.map((s) => s.filter)).toEqual(["devices/d1/commands/#"]);
  });

  it.each([4, 5] as const)("Clean Session/Start discards it (level %i) [MQTT-3.1.2-6]", (version) => {
    let state = subscribed(online(version, persistent(version)), sub("devices/d1/commands/#"));
    state = connectionLost(state, T0).state;
    const r = connect(state, connectOf(version), OK, CTX, T0 + 1000);
    expect(r.out[0]).toMatchObject({ sessionPresent: false });
    expect(r.state.subscriptions).toEqual([]);
    // the new session overwrites the old one: no sessionEnded, which would let the host delete it
    expect(r.effects).toEqual([]);
  });

  it.each([4, 5] as const)("a session still marked connected (the host restarted under it) is replaced, not ended (level %i)", (version) => {
    // No takeover(): after a restart the old socket is gone, but the stored state says connected.
    const stale = subscribed(online(version), sub("devices/d1/commands/#"));
    const r = connect(stale, connectOf(version), OK, CTX, T0 + 1000);
    expect(r.out[0]).toMatchObject({ type: "connack", reasonCode: 0, sessionPresent: false });
    expect(r.state).toMatchObject({ connected: true, exists: true, subscriptions: [] });
    // sessionEnded would make the host delete the row it has just saved for the new session
    expect(r.effects).toEqual([]);
  });

  it("a clean 3.1.1 session ends with its connection", () => {
    const state = connectionLost(subscribed(online(4), sub("devices/d1/commands/#")), T0).state;
    expect(state.exists).toBe(false);
    const r = connect(state, connectOf(4, { clean: false }), OK, CTX, T0);
    expect(r.out[0]).toMatchObject({ sessionPresent: false });
  });

  it("a 3.1.1 persistent session never expires by default", () => {
    const state = connectionLost(online(4, { clean: false }), T0).state;
    expect(state.expiryInterval).toBe(NEVER_EXPIRES);
    expect(isExpired(state, T0 + 10 * 365 * 86400_000)).toBe(false);
  });

  it("a v5 session past its expiry is not resumed", () => {
    const state = connectionLost(online(5, { clean: false, properties: { sessionExpiryInterval: 10 } }), T0).state;
    expect(isExpired(state, T0 + 9_999)).toBe(false);
    expect(isExpired(state, T0 + 10_000)).toBe(true);
    const r = connect(state, connectOf(5, { clean: false }), OK, CTX, T0 + 10_000);
    expect(r.out[0]).toMatchObject({ sessionPresent: false });
  });

  it("caps the v5 Session Expiry Interval and says so in CONNACK", () => {
    const r = connect(createSession("d1", { maxSessionExpiry: 60 }), connectOf(5, { properties: { sessionExpiryInterval: 3600 } }), OK, CTX, T0);
    expect(r.out[0]).toMatchObject({ properties: { sessionExpiryInterval: 60 } });
    expect(r.state.expiryInterval).toBe(60);
  });
});

describe("keep-alive negotiation", () => {
  it.each<[number, number]>([
    [0, 300],
    [1000, 300],
  ])("v5 keep-alive %i is capped to Server Keep Alive %i", (asked, cap) => {
    const r = connect(createSession("d1", { maxKeepAlive: cap }), connectOf(5, { keepAlive: asked }), OK, CTX, T0);
    expect(r.out[0]).toMatchObject({ properties: { serverKeepAlive: cap } });
    expect(r.state.keepAlive).toBe(cap);
  });
  it("3.1.1 keeps the client's value (it cannot be told otherwise)", () => {
    const r = connect(createSession("d1", { maxKeepAlive: 300 }), connectOf(4, { keepAlive: 0 }), OK, CTX, T0);
    expect(r.state.keepAlive).toBe(0);
  });
});

describe("resuming a session resends what is unacknowledged", () => {
  it("with DUP, except a PUBLISH whose message expired meanwhile (dropped, its packet id free), on 3.1.1 and v5", () => {
    for (const version of [4, 5] as const) {
      let state = subscribed(online(version, { clean: false, properties: { sessionExpiryInterval: 3600 } }), sub("devices/d1/commands/#"));
      state = deliver(state, message("devices/d1/commands/a", 1, { expiresAt: T0 + 2_000 }), CTX, T0).state;
      state = deliver(state, message("devices/d1/commands/b", 1, { expiresAt: T0 + 60_000 }), CTX, T0).state;
      state = deliver(state, message("devices/d1/commands/c", 1), CTX, T0).state;
      expect(state.inflight).toHaveLength(3);
      const lost = connectionLost(state, T0 + 1_000).state;
      const r = connect(lost, connectOf(version, { clean: false, properties: { sessionExpiryInterval: 3600 } }), OK, CTX, T0 + 3_000);
      expect(r.out[0]).toMatchObject({ type: "connack", sessionPresent: true });
      expect(publishes(r.out).map((p) => [p.topic, p.dup])).toEqual([["devices/d1/commands/b", true], ["devices/d1/commands/c", true]]);
      expect(r.effects).toContainEqual(expect.objectContaining({ type: "dropped", topic: "devices/d1/commands/a", reason: "expired" }));
      expect(r.state.inflight).toHaveLength(2);
    }
  });
});
