/**
 * Spec checks mqtt-packet does not make, applied to each decoded packet.
 * Everything here was found accepted by mqtt-packet 9.0.2 (see codec.test.ts).
 */
import { MqttProtocolError, malformed, protocolViolation } from "./errors";
import { isSharedFilter } from "./shared-subscriptions";
import type { ConnectPacket, MessageProperties, MqttPacket, ProtocolVersion, PublishPacket } from "./packets";
import { isValidTopicName } from "./topics";

/** Which side of the connection decodes: a server reads what clients send. */
export type CodecRole = "server" | "client";

const CLIENT_SENDS = new Set(["connect", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "unsubscribe", "pingreq", "disconnect", "auth"]);
const SERVER_SENDS = new Set(["connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "suback", "unsuback", "pingresp", "disconnect", "auth"]);

function topicNameInvalid(message: string): MqttProtocolError {
  return new MqttProtocolError(0x90, message);
}

function packetId(id: number): void {
  // [MQTT-2.3.1-1] packets that carry a Packet Identifier need a non-zero one
  if (id === 0) throw protocolViolation("packet identifier must be non-zero [MQTT-2.3.1-1]");
}

function messageProperties(p: MessageProperties | undefined): void {
  // [MQTT-3.3.2-14] the Response Topic is a topic name, so no wildcards
  if (p?.responseTopic !== undefined && !isValidTopicName(p.responseTopic)) {
    throw protocolViolation("response topic must be a valid topic name [MQTT-3.3.2-14]");
  }
}

function checkConnect(p: ConnectPacket): void {
  // [MQTT-3.1.2-1] [MQTT-3.1.2-2] protocol name and level belong together
  if ((p.protocolId === "MQIsdp") !== (p.protocolVersion === 3)) {
    throw new MqttProtocolError(0x84, `protocol ${p.protocolId} level ${p.protocolVersion} is not supported`);
  }
  // [MQTT-3.1.2-22] in 3.1.1 a password needs a user name (5.0 lifts this)
  if (p.protocolVersion !== 5 && p.password !== undefined && p.username === undefined) {
    throw malformed("password without user name [MQTT-3.1.2-22]");
  }
  if (p.will) {
    // [MQTT-3.1.3-11] the Will Topic is a topic name
    if (!isValidTopicName(p.will.topic)) throw topicNameInvalid("will topic must be a valid topic name");
    messageProperties(p.will.properties);
  }
  const props = p.properties;
  if (props) {
    // §3.1.2.11: zero Receive Maximum / Maximum Packet Size is a protocol error
    if (props.receiveMaximum === 0) throw protocolViolation("receive maximum must be non-zero");
    if (props.maximumPacketSize === 0) throw protocolViolation("maximum packet size must be non-zero");
    // §3.1.2.11.10: Authentication Data without a Method is a protocol error
    if (props.authenticationData !== undefined && props.authenticationMethod === undefined) {
      throw protocolViolation("authentication data without method");
    }
  }
}

function checkPublish(p: PublishPacket, version: ProtocolVersion, role: CodecRole): void {
  if (p.qos === 0) {
    // [MQTT-3.3.1-2] DUP must be 0 for QoS 0
    if (p.dup) throw malformed("DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]");
  } else {
    packetId(p.packetId ?? 0);
  }
  const alias = p.properties?.topicAlias;
  // [MQTT-3.3.2-8] Topic Alias 0 is not allowed
  if (alias === 0) throw new MqttProtocolError(0x94, "topic alias 0 [MQTT-3.3.2-8]");
  if (p.topic === "" && version === 5 && alias !== undefined) {
    // v5: an empty topic name is how a client reuses an established alias
  } else if (p.topic === "" && version === 5) {
    // §3.3.2.1: a zero-length Topic Name without a Topic Alias is a Protocol Error
    throw protocolViolation("empty topic name and no topic alias in PUBLISH [MQTT-3.3.2.1]");
  } else if (!isValidTopicName(p.topic)) {
    // [MQTT-3.3.2-2] no wildcards in a topic name; [MQTT-4.7.3-1] non-empty
    throw topicNameInvalid(`invalid topic name in PUBLISH [MQTT-3.3.2-2]`);
  }
  const ids = p.properties?.subscriptionIdentifiers;
  if (ids !== undefined) {
    // [MQTT-3.3.4-6] a client's PUBLISH never carries Subscription Identifiers
    if (role === "server") throw protocolViolation("PUBLISH from a client with subscription identifier [MQTT-3.3.4-6]");
    if (ids.includes(0)) throw protocolViolation("subscription identifier 0");
  }
  messageProperties(p.properties);
}

/**
 * Throw {@link MqttProtocolError} if `packet` breaks a rule mqtt-packet does not check.
 * `role` is the side decoding: "server" rejects packets only servers send.
 */
export function validatePacket(packet: MqttPacket, version: ProtocolVersion, role: CodecRole): void {
  const allowed = role === "server" ? CLIENT_SENDS : SERVER_SENDS;
  if (!allowed.has(packet.type)) {
    throw protocolViolation(`${packet.type.toUpperCase()} is not sent by a ${role === "server" ? "client" : "server"}`);
  }
  switch (packet.type) {
    case "connect":
      return checkConnect(packet);
    case "publish":
      return checkPublish(packet, version, role);
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      return packetId(packet.packetId);
    case "subscribe":
      packetId(packet.packetId);
      // [MQTT-3.8.3-3] at least one Topic Filter
      if (packet.subscriptions.length === 0) throw protocolViolation("SUBSCRIBE without topic filters [MQTT-3.8.3-3]");
      // [MQTT-3.8.3-4] No Local on a shared subscription is a Protocol Error
      if (version === 5 && packet.subscriptions.some((s) => s.noLocal && isSharedFilter(s.filter))) throw protocolViolation("No Local on a shared subscription [MQTT-3.8.3-4]");
      return;
    case "unsubscribe":
      packetId(packet.packetId);
      // [MQTT-3.10.3-2] at least one Topic Filter
      if (packet.filters.length === 0) throw protocolViolation("UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]");
      return;
    case "suback":
      packetId(packet.packetId);
      if (packet.reasonCodes.length === 0) throw protocolViolation("SUBACK without reason codes");
      return;
    case "connack":
    case "pingreq":
    case "pingresp":
    case "disconnect":
    case "auth":
      return;
  }
}
