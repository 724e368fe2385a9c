import { describe, expect, it } from "vitest";
import { MqttProtocolError } from "./errors";
import type { Will } from "./packets";
import {
  connect,
  connectFailure,
  connectionLost,
  disconnectClient,
  handlePacket,
  isExpired,
  nextDeadline,
  protocolError,
  takeover,
  tick,
  touch,
  type Effect,
} from "./session";
import { CTX, OK, T0, connectOf, online } from "./session.fixtures";

const will = (extra: Partial<Will> = {}): Will => ({ topic: "devices/d1/telemetry/status", payload: new TextEncoder().encode("gone"), qos: 1, retain: true, ...extra });
const willPublished = (effects: Effect[]) => effects.filter((e) => e.type === "publish");

describe("DISCONNECT from the client", () => {
  it("3.1.1: discards the will [MQTT-3.14.4-3], closes, ends a clean session", () => {
    const r = handlePacket(online(4, { will: will() }), { type: "disconnect" }, CTX, T0);
    expect(r.effects).toEqual([{ type: "sessionEnded" }, { type: "close", reasonCode: 0 }]);
    expect(r.state).toMatchObject({ connected: false, exists: false, will: null });
  });
  it("v5 reason 0x04 keeps the will", () => {
    const r = handlePacket(online(5, { will: will() }), { type: "disconnect", reasonCode: 0x04 }, CTX, T0);
    const [published] = willPublished(r.effects);
    expect(published).toMatchObject({ type: "publish", ack: null, message: { topic: "devices/d1/telemetry/status", qos: 1, retain: true, origin: "d1" } });
  });
  it("v5 may raise the Session Expiry Interval", () => {
    const state = online(5, { clean: false, properties: { sessionExpiryInterval: 10 } });
    const r = handlePacket(state, { type: "disconnect", reasonCode: 0, properties: { sessionExpiryInterval: 100 } }, CTX, T0);
    expect(r.state).toMatchObject({ expiryInterval: 100, exists: true, connected: false });
  });
  it("v5 may not set it when CONNECT had 0 (protocol error 0x82)", () => {
    const r = handlePacket(online(5), { type: "disconnect", reasonCode: 0, properties: { sessionExpiryInterval: 100 } }, CTX, T0);
    expect(r.out).toEqual([{ type: "disconnect", reasonCode: 0x82 }]);
  });
});

describe("abnormal end of a connection publishes the will", () => {
  it("socket lost: will now, session kept if persistent", () => {
    const r = connectionLost(online(4, { clean: false, will: will() }), T0 + 5);
    const [published] = willPublished(r.effects);
    expect(published).toMatchObject({ message: { topic: "devices/d1/telemetry/status" } });
    expect(r.state).toMatchObject({ connected: false, exists: true, disconnectedAt: T0 + 5, will: null });
  });
  it("v5 will delay: published by tick once due", () => {
    const w = will({ properties: { willDelayInterval: 30, messageExpiryInterval: 60 } });
    const lost = connectionLost(online(5, { will: w, properties: { sessionExpiryInterval: 3600 } }), T0);
    expect(willPublished(lost.effects)).toEqual([]);
    expect(nextDeadline(lost.state)).toBe(T0 + 30_000);
    expect(tick(lost.state, T0 + 29_999).effects).toEqual([]);
    const due = tick(lost.state, T0 + 30_000);
    expect(willPublished(due.effects)[0]).toMatchObject({ message: { expiresAt: T0 + 30_000 + 60_000 } });
    expect(due.state.will).toBeNull();
  });
  it("v5 will delay longer than the session: published when the session ends", () => {
    const w = will({ properties: { willDelayInterval: 600 } });
    const lost = connectionLost(online(5, { will: w, properties: { sessionExpiryInterval: 60 } }), T0);
    expect(nextDeadline(lost.state)).toBe(T0 + 60_000);
    const r = tick(lost.state, T0 + 60_000);
    expect(r.effects.map((e) => e.type)).toEqual(["publish", "sessionEnded"]);
    expect(isExpired(r.state, T0 + 60_000)).toBe(true);
  });
  it("v5 will delay with session expiry 0: published at once, session ended", () => {
    const r = connectionLost(online(5, { will: will({ properties: { willDelayInterval: 30 } }) }), T0);
    expect(r.effects.map((e) => e.type)).toEqual(["publish", "sessionEnded"]);
  });
  it("reconnecting to the session before the delay cancels the will [MQTT-3.1.3-9]", () => {
    const lost = connectionLost(online(5, { clean: false, will: will({ properties: { willDelayInterval: 30 } }), properties: { sessionExpiryInterval: 3600 } }), T0);
    const r = connect(lost.state, connectOf(5, { clean: false }), OK, CTX, T0 + 1000);
    expect(willPublished(r.effects)).toEqual([]);
    expect(r.state.willAt).toBeNull();
  });
  it("a Clean Start ends the old session, so its delayed will goes out", () => {
    const lost = connectionLost(online(5, { clean: false, will: will({ properties: { willDelayInterval: 30 } }), properties: { sessionExpiryInterval: 3600 } }), T0);
    const r = connect(lost.state, connectOf(5), OK, CTX, T0 + 1000);
    expect(willPublished(r.effects)).toHaveLength(1);
  });
});

describe("keep-alive", () => {
  it("deadline is 1.5 × keep-alive after the last packet [MQTT-3.1.2-24]", () => {
    const state = online(4, { keepAlive: 10 });
    expect(nextDeadline(state)).toBe(T0 + 15_000);
    const later = handlePacket(state, { type: "pingreq" }, CTX, T0 + 9_000);
    expect(later.out).toEqual([{ type: "pingresp" }]);
    expect(later.persist).toBe(false);
    expect(nextDeadline(later.state)).toBe(T0 + 24_000);
    expect(tick(later.state, T0 + 23_999).effects).toEqual([]);
  });
  it("v5: DISCONNECT 0x8D, close, will", () => {
    const r = tick(online(5, { keepAlive: 10, will: will() }), T0 + 15_000);
    expect(r.out).toEqual([{ type: "disconnect", reasonCode: 0x8d }]);
    expect(r.effects.map((e) => e.type)).toEqual(["publish", "sessionEnded", "close"]);
  });
  it("3.1.1: close only", () => {
    const r = tick(online(4, { keepAlive: 10 }), T0 + 15_000);
    expect(r.out).toEqual([]);
    expect(r.effects).toContainEqual({ type: "close", reasonCode: 0x8d });
  });
  it("touch records activity the state machine did not see (hibernation auto-responses)", () => {
    const state = online(4, { keepAlive: 10 });
    expect(touch(state, T0 - 1)).toBe(state);
    const touched = touch(state, T0 + 14_000);
    expect(nextDeadline(touched)).toBe(T0 + 29_000);
    expect(tick(touched, T0 + 15_000).effects).toEqual([]);
  });
  it("keep-alive 0 means no deadline", () => {
    expect(nextDeadline(online(4, { keepAlive: 0 }))).toBeNull();
  });
});

describe("server-side closes", () => {
  it("takeover: v5 gets DISCONNECT 0x8E [MQTT-3.1.4-3]", () => {
    const r = takeover(online(5, { clean: false, properties: { sessionExpiryInterval: 60 } }), T0);
    expect(r.out).toEqual([{ type: "disconnect", reasonCode: 0x8e }]);
    expect(r.effects).toContainEqual({ type: "close", reasonCode: 0x8e });
    expect(r.state).toMatchObject({ connected: false, exists: true });
  });
  it("takeover: 3.1.1 is just closed", () => {
    expect(takeover(online(4), T0).out).toEqual([]);
  });
  it("connect without takeover still publishes the old connection's will", () => {
    const r = connect(online(4, { clean: false, will: will() }), connectOf(4, { clean: false }), OK, CTX, T0 + 1);
    expect(willPublished(r.effects)).toHaveLength(1);
    expect(r.out[0]).toMatchObject({ sessionPresent: true });
  });
  it("maps reason codes a DISCONNECT cannot carry to 0x80", () => {
    expect(disconnectClient(online(5), 0x84, T0).out).toEqual([{ type: "disconnect", reasonCode: 0x80 }]);
  });
  it("AUTH after CONNECT is a protocol error", () => {
    expect(handlePacket(online(5), { type: "auth", reasonCode: 0x18 }, CTX, T0).out).toEqual([{ type: "disconnect", reasonCode: 0x82 }]);
  });
  it("packets after the session went offline only close", () => {
    const offline = connectionLost(online(4), T0).state;
    expect(handlePacket(offline, { type: "pingreq" }, CTX, T0).effects).toEqual([{ type: "close", reasonCode: 0x82 }]);
  });
});

describe("protocol errors", () => {
  const error = (code: number, version?: 3 | 4 | 5) => new MqttProtocolError(code, "bad", version);
  it("v5 connection: DISCONNECT with the reason, close, will", () => {
    const r = protocolError(online(5, { will: will() }), error(0x81, 5), T0);
    expect(r.out).toEqual([{ type: "disconnect", reasonCode: 0x81 }]);
    expect(r.effects.map((e) => e.type)).toContain("publish");
  });
  it("3.1.1 connection: close without a packet", () => {
    expect(protocolError(online(4), error(0x81, 4), T0).out).toEqual([]);
  });
  it.each<[string, MqttProtocolError, unknown[]]>([
    ["v5 bad CONNECT → CONNACK with the reason", error(0x82, 5), [{ type: "connack", sessionPresent: false, reasonCode: 0x82 }]],
    ["v5 too large → CONNACK 0x95", error(0x95, 5), [{ type: "connack", sessionPresent: false, reasonCode: 0x95 }]],
    ["unsupported level → 3.1.1 CONNACK 0x01 [MQTT-3.1.2-2]", error(0x84), [{ type: "connack", sessionPresent: false, reasonCode: 0x01 }]],
    ["3.1.1 malformed CONNECT → close only [MQTT-3.1.4-1]", error(0x81, 4), []],
    ["unknown version, malformed → close only", error(0x81), []],
  ])("before CONNECT: %s", (_name, e, out) => {
    expect(connectFailure(e).out).toEqual(out);
    expect(connectFailure(e).effects).toEqual([{ type: "close", reasonCode: e.reasonCode }]);
  });
});

describe("session expiry", () => {
  it("a configured 3.1.1 persistent expiry ends the session via tick", () => {
    const state = connectionLost(online(4, { clean: false }, { persistentSessionExpiry: 60 }), T0).state;
    expect(nextDeadline(state)).toBe(T0 + 60_000);
    expect(tick(state, T0 + 59_999).persist).toBe(false);
    const r = tick(state, T0 + 60_000);
    expect(r.effects).toEqual([{ type: "sessionEnded" }]);
    expect(r.state.exists).toBe(false);
    expect(nextDeadline(r.state)).toBeNull();
  });
});
