/**
 * fast-check generators of valid, canonical MQTT packets (test support only).
 * Canonical = the form the decoder produces: v5 acks carry a reason code, empty
 * property sets are absent, 3.1.1 subscriptions carry the default options.
 */
import fc from "fast-check";
import type {
  ConnackPacket,
  ConnectPacket,
  MqttPacket,
  ProtocolVersion,
  PublishPacket,
  QoS,
  SubscribePacket,
  UserProperties,
} from "./packets";

const NUL = "\u0000";

/** Any UTF-8 string MQTT may carry (no U+0000), BOM and astral code points included. */
export const text = (maxLength = 8): fc.Arbitrary<string> =>
  fc.string({ unit: "binary", maxLength }).map((s) => s.split(NUL).join(""));

const level = fc.oneof(
  fc.constantFrom("a", "b", "devices", "d1", "$aws", "$SYS", "", "ü", "😀", "x y"),
  fc.string({ unit: "binary", maxLength: 4 }).map((s) => s.replace(/[\u0000/+#]/g, "")),
);

/** A valid topic name (non-empty, no wildcards). */
export const topicName: fc.Arbitrary<string> = fc
  .array(level, { minLength: 1, maxLength: 5 })
  .map((l) => l.join("/"))
  .filter((t) => t.length > 0);

/** A valid topic filter. */
export const topicFilter: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.oneof(level, fc.constant("+")), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"))
  .filter((f) => f.length > 0);

const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 65535 });
const bytes = (maxLength = 32): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });
const u16 = fc.integer({ min: 1, max: 65535 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** User properties, grouped by name as mqtt-packet writes them (first-appearance order). */
export const userProperties: fc.Arbitrary<UserProperties> = fc
  .array(fc.tuple(fc.constantFrom("k", "region", "__proto__", "ü"), text(6)), { minLength: 1, maxLength: 4 })
  .map(groupUserProperties);

/** Reorder pairs so equal names are adjacent, in order of first appearance. */
export function groupUserProperties(pairs: UserProperties): UserProperties {
  // mqtt-packet carries user properties as an object, whose keys JavaScript orders with
  // array-index names ("0", "7") first, ascending, then the rest in insertion order.
  const isIndex = (n: string) => /^(0|[1-9][0-9]*)$/.test(n) && Number(n) < 4294967295;
  const names = [...new Set(pairs.map(([n]) => n))];
  const ordered = [...names.filter(isIndex).sort((a, b) => Number(a) - Number(b)), ...names.filter((n) => !isIndex(n))];
  return ordered.flatMap((n) => pairs.filter(([m]) => m === n));
}

/** Optional record: each key present or not; undefined when empty. */
function optionalRecord<T extends object>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T | undefined> {
  return fc.record(shape, { requiredKeys: [] }).map((r) => (Object.keys(r).length > 0 ? (r as T) : undefined));
}

function withProps<P extends object>(base: P, properties: object | undefined): P {
  return properties === undefined ? base : { ...base, properties };
}

const messageProps = {
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  contentType: text(),
  responseTopic: topicName,
  correlationData: bytes(8),
  userProperties,
};

/** PUBLISH; `fromServer` allows Subscription Identifiers, v5 may use topic aliases. */
export function publish(version: ProtocolVersion, fromServer: boolean): fc.Arbitrary<PublishPacket> {
  const props = version === 5
    ? optionalRecord({ ...messageProps, topicAlias: u16, ...(fromServer ? { subscriptionIdentifiers: fc.array(fc.integer({ min: 1, max: 268435455 }), { minLength: 1, maxLength: 3 }) } : {}) })
    : fc.constant(undefined);
  return fc.record({ topic: topicName, payload: bytes(64), qos, retain: fc.boolean(), dup: fc.boolean(), packetId, props, emptyTopic: fc.boolean() }).map((r) => {
    const p: PublishPacket = { type: "publish", topic: r.topic, payload: r.payload, qos: r.qos, retain: r.retain, dup: r.qos > 0 && r.dup };
    if (r.qos > 0) p.packetId = r.packetId;
    const withP = withProps(p, r.props);
    if (r.emptyTopic && withP.properties?.topicAlias !== undefined) withP.topic = "";
    return withP;
  });
}

const reason = { reasonString: text(), userProperties };

function ackOf(type: "puback" | "pubrec" | "pubrel" | "pubcomp", version: ProtocolVersion): fc.Arbitrary<MqttPacket> {
  const codes = type === "puback" || type === "pubrec" ? [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99] : [0x00, 0x92];
  if (version !== 5) return packetId.map((id) => ({ type, packetId: id }));
  return fc.record({ id: packetId, code: fc.constantFrom(...codes), props: optionalRecord(reason) }).map((r) =>
    withProps({ type, packetId: r.id, reasonCode: r.code }, r.props),
  );
}

const subscriptionRequest = (version: ProtocolVersion) =>
  fc.record({ filter: topicFilter, qos, noLocal: fc.boolean(), retainAsPublished: fc.boolean(), retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2) }).map((s) =>
    version === 5 ? s : { ...s, noLocal: false, retainAsPublished: false, retainHandling: 0 as const },
  );

function subscribe(version: ProtocolVersion): fc.Arbitrary<SubscribePacket> {
  const props = version === 5 ? optionalRecord({ subscriptionIdentifier: fc.integer({ min: 1, max: 268435455 }), userProperties }) : fc.constant(undefined);
  return fc.record({ id: packetId, subs: fc.array(subscriptionRequest(version), { minLength: 1, maxLength: 4 }), props }).map((r) =>
    withProps({ type: "subscribe", packetId: r.id, subscriptions: r.subs }, r.props),
  );
}

const disconnectCodes = [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x93, 0x95, 0x98];

/** Packets a client sends after CONNECT. */
export function clientPacket(version: ProtocolVersion): fc.Arbitrary<MqttPacket> {
  const v5 = version === 5;
  const list: fc.Arbitrary<MqttPacket>[] = [
    publish(version, false),
    ackOf("puback", version),
    ackOf("pubrec", version),
    ackOf("pubrel", version),
    ackOf("pubcomp", version),
    subscribe(version),
    fc.record({ id: packetId, filters: fc.array(topicFilter, { minLength: 1, maxLength: 4 }), props: v5 ? optionalRecord({ userProperties }) : fc.constant(undefined) }).map((r) =>
      withProps({ type: "unsubscribe" as const, packetId: r.id, filters: r.filters }, r.props),
    ),
    fc.constant({ type: "pingreq" as const }),
    v5
      ? fc.record({ code: fc.constantFrom(...disconnectCodes), props: optionalRecord({ ...reason, sessionExpiryInterval: u32 }) }).map((r) =>
          withProps({ type: "disconnect" as const, reasonCode: r.code }, r.props),
        )
      : fc.constant({ type: "disconnect" as const }),
  ];
  if (v5) {
    list.push(
      fc.record({ code: fc.constantFrom(0x00, 0x18, 0x19), props: optionalRecord({ ...reason, authenticationMethod: text(), authenticationData: bytes(8) }) }).map((r) =>
        withProps({ type: "auth" as const, reasonCode: r.code }, r.props),
      ),
    );
  }
  return fc.oneof(...list);
}

/** Packets a server sends. */
export function serverPacket(version: ProtocolVersion): fc.Arbitrary<MqttPacket> {
  const v5 = version === 5;
  const connack: fc.Arbitrary<ConnackPacket> = v5
    ? fc.record({
        sp: fc.boolean(),
        code: fc.constantFrom(0x00, 0x80, 0x84, 0x86, 0x87, 0x8a),
        props: optionalRecord({ sessionExpiryInterval: u32, receiveMaximum: u16, maximumQoS: fc.constantFrom(0, 1), retainAvailable: fc.boolean(), maximumPacketSize: fc.integer({ min: 1, max: 0xffffffff }), assignedClientIdentifier: text(), topicAliasMaximum: u16, reasonString: text(), userProperties, wildcardSubscriptionAvailable: fc.boolean(), subscriptionIdentifiersAvailable: fc.boolean(), sharedSubscriptionAvailable: fc.boolean(), serverKeepAlive: u16, responseInformation: text(), serverReference: text() }),
      }).map((r) => withProps({ type: "connack" as const, sessionPresent: r.sp, reasonCode: r.code }, r.props))
    : fc.record({ sp: fc.boolean(), code: fc.integer({ min: 0, max: 5 }) }).map((r) => ({ type: "connack" as const, sessionPresent: r.sp, reasonCode: r.code }));
  const suback = fc.record({ id: packetId, codes: fc.array(fc.constantFrom(...(v5 ? [0, 1, 2, 0x80, 0x87, 0x8f, 0x9e] : [0, 1, 2, 0x80])), { minLength: 1, maxLength: 4 }), props: v5 ? optionalRecord(reason) : fc.constant(undefined) }).map((r) =>
    withProps({ type: "suback" as const, packetId: r.id, reasonCodes: r.codes }, r.props),
  );
  const unsuback = fc.record({ id: packetId, codes: fc.array(fc.constantFrom(0x00, 0x11, 0x80, 0x87), { minLength: 1, maxLength: 4 }), props: v5 ? optionalRecord(reason) : fc.constant(undefined) }).map((r) =>
    withProps({ type: "unsuback" as const, packetId: r.id, reasonCodes: v5 ? r.codes : [] }, r.props),
  );
  return fc.oneof(connack, publish(version, true), ackOf("puback", version), ackOf("pubrel", version), suback, unsuback, fc.constant({ type: "pingresp" as const }));
}

/** CONNECT packets for each protocol level. */
export function connectPacket(version: ProtocolVersion): fc.Arbitrary<ConnectPacket> {
  const v5 = version === 5;
  const willProps = v5 ? optionalRecord({ ...messageProps, willDelayInterval: u32 }) : fc.constant(undefined);
  const will = fc.option(fc.record({ topic: topicName, payload: bytes(16), qos, retain: fc.boolean(), props: willProps }).map((w) => withProps({ topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain }, w.props)), { nil: undefined });
  const props = v5
    ? optionalRecord({ sessionExpiryInterval: u32, receiveMaximum: u16, maximumPacketSize: fc.integer({ min: 1, max: 0xffffffff }), topicAliasMaximum: fc.integer({ min: 0, max: 65535 }), requestResponseInformation: fc.boolean(), requestProblemInformation: fc.boolean(), userProperties })
    : fc.constant(undefined);
  return fc
    .record({ clientId: text(12), clean: fc.boolean(), keepAlive: fc.integer({ min: 0, max: 65535 }), username: fc.option(text(), { nil: undefined }), password: fc.option(bytes(12), { nil: undefined }), will, props })
    .map((r) => {
      const c: ConnectPacket = { type: "connect", protocolId: version === 3 ? "MQIsdp" : "MQTT", protocolVersion: version, clientId: r.clientId, clean: r.clean, keepAlive: r.keepAlive };
      // mqtt-packet cannot write an empty client id for 3.1, or one with Clean Session 0
      if (c.clientId === "" && (version === 3 || !c.clean)) c.clientId = "c";
      if (r.username !== undefined) c.username = r.username;
      // mqtt-packet refuses to write a password without a user name, even for v5
      if (r.password !== undefined && r.username !== undefined) c.password = r.password;
      if (r.will) c.will = r.will;
      return withProps(c, r.props);
    });
}

/** Cut `bytes` into random pieces (some empty). */
export function chunked(bytes: Uint8Array): fc.Arbitrary<Uint8Array[]> {
  return fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }).map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
    return points.slice(1).map((end, i) => bytes.slice(points[i], end));
  });
}

/** Deep copy of `value` with every `userProperties` list grouped (how encode writes them). */
export function grouped<T>(value: T): T {
  if (value instanceof Uint8Array || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(grouped) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === "userProperties" ? groupUserProperties(v as UserProperties) : grouped(v);
  return out as T;
}
