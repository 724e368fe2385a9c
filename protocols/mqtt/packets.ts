/**
 * Typed MQTT 3.1 / 3.1.1 / 5.0 control packets, as the rest of Umbra sees them.
 *
 * One discriminated union on `type`. Payloads and binary fields are `Uint8Array`.
 * Version differences are normalised: v5-only fields (`reasonCode`, `properties`,
 * subscription options) are present after decoding a v5 packet and ignored when
 * encoding for 3.1.1. User properties are ordered `[name, value]` pairs.
 */

/** Quality of service level. */
export type QoS = 0 | 1 | 2;

/** Protocol level byte of CONNECT: 3 = MQTT 3.1 (`MQIsdp`), 4 = 3.1.1, 5 = 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

/** MQTT 5 user properties as ordered name/value pairs (names may repeat). */
export type UserProperties = Array<[string, string]>;

/** Properties every v5 acknowledgement-like packet may carry. */
export interface ReasonProperties {
  reasonString?: string;
  userProperties?: UserProperties;
}

/** Properties describing an application message (PUBLISH and Will). */
export interface MessageProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
}

/** Will message registered in CONNECT. */
export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: MessageProperties & { willDelayInterval?: number };
}

/** CONNECT properties (v5). */
export interface ConnectProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: UserProperties;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

/** CONNECT: the first packet a client sends. */
export interface ConnectPacket {
  type: "connect";
  protocolId: "MQTT" | "MQIsdp";
  protocolVersion: ProtocolVersion;
  clientId: string;
  /** Clean Session (3.1.1) / Clean Start (5.0). */
  clean: boolean;
  /** Seconds; 0 disables keep-alive. */
  keepAlive: number;
  username?: string;
  password?: Uint8Array;
  will?: Will;
  properties?: ConnectProperties;
}

/** CONNACK properties (v5). */
export interface ConnackProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumQoS?: number;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  assignedClientIdentifier?: string;
  topicAliasMaximum?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  serverKeepAlive?: number;
  responseInformation?: string;
  serverReference?: string;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

/** CONNACK; `reasonCode` is the 3.1.1 return code or the v5 reason code. */
export interface ConnackPacket {
  type: "connack";
  sessionPresent: boolean;
  reasonCode: number;
  properties?: ConnackProperties;
}

/** PUBLISH properties (v5). `subscriptionIdentifiers` only flows server → client. */
export interface PublishProperties extends MessageProperties {
  topicAlias?: number;
  subscriptionIdentifiers?: number[];
}

/** PUBLISH; `packetId` is present exactly when `qos > 0`. */
export interface PublishPacket {
  type: "publish";
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  packetId?: number;
  properties?: PublishProperties;
}

/** PUBACK / PUBREC / PUBREL / PUBCOMP; `reasonCode` is set for v5 only. */
export interface AckPacket<T extends "puback" | "pubrec" | "pubrel" | "pubcomp"> {
  type: T;
  packetId: number;
  reasonCode?: number;
  properties?: ReasonProperties;
}

/** PUBACK: QoS 1 acknowledgement. */
export type PubackPacket = AckPacket<"puback">;
/** PUBREC: QoS 2, part 1. */
export type PubrecPacket = AckPacket<"pubrec">;
/** PUBREL: QoS 2, part 2. */
export type PubrelPacket = AckPacket<"pubrel">;
/** PUBCOMP: QoS 2, part 3. */
export type PubcompPacket = AckPacket<"pubcomp">;

/** One topic filter of a SUBSCRIBE with its options (3.1.1 decodes to the v5 defaults). */
export interface SubscriptionRequest {
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  /** 0 = send retained on subscribe, 1 = only if new, 2 = never. */
  retainHandling: 0 | 1 | 2;
}

/** SUBSCRIBE. */
export interface SubscribePacket {
  type: "subscribe";
  packetId: number;
  subscriptions: SubscriptionRequest[];
  properties?: { subscriptionIdentifier?: number; userProperties?: UserProperties };
}

/** SUBACK; one reason code (granted QoS or failure) per requested filter. */
export interface SubackPacket {
  type: "suback";
  packetId: number;
  reasonCodes: number[];
  properties?: ReasonProperties;
}

/** UNSUBSCRIBE. */
export interface UnsubscribePacket {
  type: "unsubscribe";
  packetId: number;
  filters: string[];
  properties?: { userProperties?: UserProperties };
}

/** UNSUBACK; `reasonCodes` is empty for 3.1.1. */
export interface UnsubackPacket {
  type: "unsuback";
  packetId: number;
  reasonCodes: number[];
  properties?: ReasonProperties;
}

/** PINGREQ. */
export interface PingreqPacket {
  type: "pingreq";
}

/** PINGRESP. */
export interface PingrespPacket {
  type: "pingresp";
}

/** DISCONNECT; `reasonCode` is set for v5 only. */
export interface DisconnectPacket {
  type: "disconnect";
  reasonCode?: number;
  properties?: ReasonProperties & { sessionExpiryInterval?: number; serverReference?: string };
}

/** AUTH (v5 enhanced authentication). */
export interface AuthPacket {
  type: "auth";
  reasonCode: number;
  properties?: ReasonProperties & { authenticationMethod?: string; authenticationData?: Uint8Array };
}

/** Any MQTT control packet. */
export type MqttPacket =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** The `type` tag of an {@link MqttPacket}. */
export type MqttPacketType = MqttPacket["type"];

/** MQTT 5 reason codes used by Umbra (spec §2.4). 3.1.1 mappings live beside their use. */
export const ReasonCode = {
  Success: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWill: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  SharedSubscriptionsNotSupported: 0x9e,
} as const;
