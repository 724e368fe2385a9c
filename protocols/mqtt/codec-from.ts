/**
 * mqtt-packet's decoded objects (with properties from the strict reader in
 * codec-parser) → typed {@link MqttPacket}s. Every field is narrowed from `unknown`;
 * properties not allowed for a packet type are a malformed packet (spec §2.2.2.2).
 */
import { malformed, protocolViolation } from "./errors";
import type { RawProperties } from "./codec-parser";
import type {
  AckPacket,
  MqttPacket,
  ProtocolVersion,
  QoS,
  SubscriptionRequest,
  ReasonProperties,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  Will,
} from "./packets";

type Raw = Record<string, unknown>;

const REASON = ["reasonString", "userProperties"];
const MESSAGE = ["payloadFormatIndicator", "messageExpiryInterval", "contentType", "responseTopic", "correlationData", "userProperties"];

/** Properties allowed per packet (spec table 2-4). */
const ALLOWED: Record<string, readonly string[]> = {
  connect: ["sessionExpiryInterval", "receiveMaximum", "maximumPacketSize", "topicAliasMaximum", "requestResponseInformation", "requestProblemInformation", "userProperties", "authenticationMethod", "authenticationData"],
  will: [...MESSAGE, "willDelayInterval"],
  connack: ["sessionExpiryInterval", "receiveMaximum", "maximumQoS", "retainAvailable", "maximumPacketSize", "assignedClientIdentifier", "topicAliasMaximum", "reasonString", "userProperties", "wildcardSubscriptionAvailable", "subscriptionIdentifiersAvailable", "sharedSubscriptionAvailable", "serverKeepAlive", "responseInformation", "serverReference", "authenticationMethod", "authenticationData"],
  publish: [...MESSAGE, "topicAlias", "subscriptionIdentifier"],
  ack: REASON,
  subscribe: ["subscriptionIdentifier", "userProperties"],
  unsubscribe: ["userProperties"],
  disconnect: [...REASON, "sessionExpiryInterval", "serverReference"],
  auth: [...REASON, "authenticationMethod", "authenticationData"],
};

const BOOLEAN = new Set([
  "payloadFormatIndicator",
  "requestProblemInformation",
  "requestResponseInformation",
  "retainAvailable",
  "wildcardSubscriptionAvailable",
  "subscriptionIdentifiersAvailable",
  "sharedSubscriptionAvailable",
]);

/**
 * Narrow and check one property list; undefined when there are none. The strict
 * reader already produced each value with its wire type (number, string, bytes,
 * pairs), which is what makes the final cast to the packet's property type sound.
 */
function props<T>(raw: unknown, kind: keyof typeof ALLOWED): T | undefined {
  if (raw === undefined || raw === null || raw === false) return undefined;
  if (typeof raw !== "object") throw malformed("bad properties");
  const input = raw as RawProperties;
  const out: Raw = {};
  let found = false;
  for (const name of Object.keys(input)) {
    if (!ALLOWED[kind].includes(name)) throw malformed(`property ${name} is not allowed in ${kind}`);
    let value = input[name];
    if (BOOLEAN.has(name)) {
      // §2.2.2.2: byte-typed flags are 0 or 1, anything else is a protocol error
      if (value !== 0 && value !== 1) throw protocolViolation(`${name} must be 0 or 1`);
      value = value === 1;
    }
    if (name === "maximumQoS" && value !== 0 && value !== 1) throw protocolViolation("maximumQoS must be 0 or 1");
    out[name === "subscriptionIdentifier" ? "subscriptionIdentifiers" : name] = value;
    found = true;
  }
  return found ? (out as T) : undefined;
}

function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw malformed(`bad ${what}`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw malformed(`bad ${what}`);
  return v;
}

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(`bad ${what}`);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function qos(v: unknown): QoS {
  if (v !== 0 && v !== 1 && v !== 2) throw malformed("QoS must be 0, 1 or 2 [MQTT-3.3.1-4]");
  return v;
}

function ack<T extends "puback" | "pubrec" | "pubrel" | "pubcomp">(type: T, raw: Raw, v5: boolean): AckPacket<T> {
  const packet: AckPacket<T> = { type, packetId: num(raw.messageId, "packet id") };
  if (v5) {
    packet.reasonCode = typeof raw.reasonCode === "number" ? raw.reasonCode : 0;
    const p = props(raw.properties, "ack");
    if (p) packet.properties = p;
  }
  return packet;
}

function will(raw: unknown, v5: boolean): Will | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null) throw malformed("bad will");
  const w = raw as Raw;
  // [MQTT-3.1.2-12] Will QoS 3 is malformed; mqtt-packet passes it through
  const result: Will = { topic: str(w.topic, "will topic"), payload: bytes(w.payload, "will payload"), qos: qos(w.qos), retain: w.retain === true };
  const p = v5 ? props(w.properties, "will") : undefined;
  if (p) result.properties = p;
  return result;
}

function subscription(raw: unknown): SubscriptionRequest {
  if (typeof raw !== "object" || raw === null) throw malformed("bad subscription");
  const s = raw as Raw;
  const rh = s.rh ?? 0;
  if (rh !== 0 && rh !== 1 && rh !== 2) throw malformed("bad retain handling");
  return { filter: str(s.topic, "topic filter"), qos: qos(s.qos), noLocal: s.nl === true, retainAsPublished: s.rap === true, retainHandling: rh };
}

function codes(v: unknown): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw malformed("bad reason codes");
  return v.map((c) => num(c, "reason code"));
}

/** Convert one decoded mqtt-packet object to a typed packet. Throws MqttProtocolError. */
export function fromRaw(raw: Raw, version: ProtocolVersion): MqttPacket {
  const v5 = version === 5;
  switch (raw.cmd) {
    case "connect": {
      const pv = raw.protocolVersion;
      if (pv !== 3 && pv !== 4 && pv !== 5) throw malformed("bad protocol version");
      const packet: MqttPacket = {
        type: "connect",
        protocolId: raw.protocolId === "MQIsdp" ? "MQIsdp" : "MQTT",
        protocolVersion: pv,
        clientId: str(raw.clientId, "client id"),
        clean: raw.clean === true,
        keepAlive: num(raw.keepalive, "keep alive"),
      };
      if (raw.username !== undefined) packet.username = str(raw.username, "user name");
      if (raw.password !== undefined) packet.password = bytes(raw.password, "password");
      const w = will(raw.will, pv === 5);
      if (w) packet.will = w;
      const p = pv === 5 ? props(raw.properties, "connect") : undefined;
      if (p) packet.properties = p;
      return packet;
    }
    case "connack": {
      const code = v5 ? raw.reasonCode : raw.returnCode;
      const packet: MqttPacket = { type: "connack", sessionPresent: raw.sessionPresent === true, reasonCode: num(code, "return code") };
      const p = v5 ? props(raw.properties, "connack") : undefined;
      if (p) packet.properties = p;
      return packet;
    }
    case "publish": {
      const q = qos(raw.qos);
      const packet: MqttPacket = { type: "publish", topic: str(raw.topic, "topic"), payload: bytes(raw.payload, "payload"), qos: q, retain: raw.retain === true, dup: raw.dup === true };
      if (q > 0) packet.packetId = num(raw.messageId, "packet id");
      const p = v5 ? props(raw.properties, "publish") : undefined;
      if (p) packet.properties = p;
      return packet;
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return ack(raw.cmd, raw, v5);
    case "subscribe": {
      if (!Array.isArray(raw.subscriptions)) throw malformed("bad subscriptions");
      const packet: MqttPacket = { type: "subscribe", packetId: num(raw.messageId, "packet id"), subscriptions: raw.subscriptions.map(subscription) };
      const p = v5 ? props<Raw>(raw.properties, "subscribe") : undefined;
      if (p) {
        const ids = p.subscriptionIdentifiers;
        delete p.subscriptionIdentifiers;
        if (Array.isArray(ids)) {
          // §3.8.2.1.2: at most one Subscription Identifier, and 0 is a protocol error
          if (ids.length !== 1 || ids[0] === 0) throw protocolViolation("bad subscription identifier");
          p.subscriptionIdentifier = ids[0];
        }
        packet.properties = p as SubscribePacket["properties"];
      }
      return packet;
    }
    case "suback":
    case "unsuback": {
      const packet: SubackPacket | UnsubackPacket = { type: raw.cmd, packetId: num(raw.messageId, "packet id"), reasonCodes: codes(raw.granted) };
      const p = v5 ? props<ReasonProperties>(raw.properties, "ack") : undefined;
      if (p) packet.properties = p;
      return packet;
    }
    case "unsubscribe": {
      if (!Array.isArray(raw.unsubscriptions)) throw malformed("bad unsubscriptions");
      const packet: MqttPacket = { type: "unsubscribe", packetId: num(raw.messageId, "packet id"), filters: raw.unsubscriptions.map((f) => str(f, "topic filter")) };
      const p = v5 ? props(raw.properties, "unsubscribe") : undefined;
      if (p) packet.properties = p;
      return packet;
    }
    case "pingreq":
    case "pingresp":
      return { type: raw.cmd };
    case "disconnect": {
      const packet: MqttPacket = { type: "disconnect" };
      if (v5) {
        packet.reasonCode = typeof raw.reasonCode === "number" ? raw.reasonCode : 0;
        const p = props(raw.properties, "disconnect");
        if (p) packet.properties = p;
      }
      return packet;
    }
    case "auth": {
      const packet: MqttPacket = { type: "auth", reasonCode: num(raw.reasonCode, "reason code") };
      const p = props(raw.properties, "auth");
      if (p) packet.properties = p;
      return packet;
    }
    default:
      throw malformed(`unsupported packet type ${String(raw.cmd)}`);
  }
}
