/** Shared builders for the session tests (test support only). */
import type { ConnectPacket, MqttPacket, ProtocolVersion, PublishPacket, QoS, SubscriptionRequest } from "./packets";
import { DEFAULT_DEVICE_POLICY } from "./policy";
import { connect, createSession, handlePacket, type Message, type SessionContext, type SessionLimits, type SessionResult, type SessionState } from "./session";

/** Device d1 in channel c1 under the default device policy. */
export const CTX: SessionContext = { policy: DEFAULT_DEVICE_POLICY, variables: { deviceId: "d1", channel: ["c1"] } };
/** Credentials accepted. */
export const OK = { ok: true } as const;
/** A fixed "now" (epoch ms). */
export const T0 = 1_700_000_000_000;

/** A CONNECT for d1. */
export function connectOf(version: ProtocolVersion, extra: Partial<ConnectPacket> = {}): ConnectPacket {
  return { type: "connect", protocolId: version === 3 ? "MQIsdp" : "MQTT", protocolVersion: version, clientId: "d1", clean: true, keepAlive: 60, ...extra };
}

/** A connected session for d1. */
export function online(version: ProtocolVersion, extra: Partial<ConnectPacket> = {}, limits: Partial<SessionLimits> = {}, now = T0): SessionState {
  return connect(createSession("d1", limits), connectOf(version, extra), OK, CTX, now).state;
}

/** A subscription request with default options. */
export function sub(filter: string, qos: QoS = 1, extra: Partial<SubscriptionRequest> = {}): SubscriptionRequest {
  return { filter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0, ...extra };
}

/** Subscribe and return the new state (asserting nothing). */
export function subscribed(state: SessionState, ...subs: SubscriptionRequest[]): SessionState {
  return handlePacket(state, { type: "subscribe", packetId: 1, subscriptions: subs }, CTX, T0).state;
}

/** A message for delivery. */
export function message(topic: string, qos: QoS = 1, extra: Partial<Message> = {}): Message {
  return { topic, payload: new TextEncoder().encode(topic), qos, retain: false, ...extra };
}

/** An inbound PUBLISH. */
export function publishOf(topic: string, qos: QoS, packetId?: number, extra: Partial<PublishPacket> = {}): PublishPacket {
  const p: PublishPacket = { type: "publish", topic, payload: new TextEncoder().encode("x"), qos, retain: false, dup: false, ...extra };
  if (qos > 0) p.packetId = packetId ?? 1;
  return p;
}

/** Only the PUBLISH packets of `out`. */
export function publishes(out: MqttPacket[]): PublishPacket[] {
  return out.filter((p): p is PublishPacket => p.type === "publish");
}

/** Feed packets one after another, returning every result. */
export function run(state: SessionState, packets: MqttPacket[], now = T0): { state: SessionState; results: SessionResult[] } {
  const results: SessionResult[] = [];
  for (const p of packets) {
    const r = handlePacket(state, p, CTX, now);
    results.push(r);
    state = r.state;
  }
  return { state, results };
}
