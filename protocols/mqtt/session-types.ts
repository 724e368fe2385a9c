/**
 * Types of the MQTT session state machine. The state is plain JSON (no class
 * instances, no Maps, no Uint8Array: payloads are base64) so a host can store it
 * as one SQLite row and restore it after hibernation or restart.
 */
import type { MqttPacket, ProtocolVersion, QoS, UserProperties } from "./packets";
import type { Policy, PolicyVariables } from "./policy";

/** Session Expiry Interval meaning "never expires" (v5 §3.1.2.11.2). */
export const NEVER_EXPIRES = 0xffffffff;

/** Server-side limits, fixed for a session by {@link createSession}. Times in seconds. */
export interface SessionLimits {
  /** Largest packet the server accepts; advertised in v5 CONNACK. Match the stream's option. */
  maximumPacketSize: number;
  /** Inbound QoS 2 messages awaiting PUBREL; advertised as Receive Maximum. */
  receiveMaximum: number;
  /** Inbound topic aliases (v5); advertised as Topic Alias Maximum. 0 disables. */
  topicAliasMaximum: number;
  /** Outbound QoS 1/2 messages unacknowledged at once (also bounded by the client's Receive Maximum). */
  maxInflight: number;
  /** Outbound QoS 1/2 messages queued while offline or while the in-flight window is full. */
  maxQueued: number;
  /** Subscriptions per session. */
  maxSubscriptions: number;
  /** Cap on the v5 Session Expiry Interval; NEVER_EXPIRES for none. */
  maxSessionExpiry: number;
  /** Expiry of a 3.1.1 session with Clean Session = 0 (the spec has no expiry). */
  persistentSessionExpiry: number;
  /** Cap on keep-alive for v5 clients (sent as Server Keep Alive); 0 for none. */
  maxKeepAlive: number;
  /**
   * A 3.1.1 client's PUBLISH the policy refuses: "disconnect" (AWS IoT's answer) or
   * "acknowledge" it and drop it (Mosquitto's); both are what [MQTT-3.3.5-2] allows.
   * v5 always answers PUBACK/PUBREC 0x87.
   */
  refusedPublish: "disconnect" | "acknowledge";
  /** Topic aliases this server assigns to its PUBLISHes, at most (and at most what the client allows). */
  maxOutboundAliases: number;
}

/** Defaults: 256 KiB packets, 100 in flight each way, 1000 queued, sessions that never expire. */
export const DEFAULT_LIMITS: SessionLimits = {
  maximumPacketSize: 256 * 1024,
  receiveMaximum: 100,
  topicAliasMaximum: 16,
  maxInflight: 100,
  maxQueued: 1000,
  maxSubscriptions: 100,
  maxSessionExpiry: NEVER_EXPIRES,
  persistentSessionExpiry: NEVER_EXPIRES,
  maxKeepAlive: 0,
  refusedPublish: "disconnect",
  maxOutboundAliases: 64,
};

/** Application-message properties carried end to end (v5). */
export interface MessageAttributes {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
}

/**
 * An application message as the host moves it between sessions (fan-out RPC,
 * retained store). Not part of the persisted state.
 */
export interface Message {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** Client id of the publisher, for No Local. */
  origin?: string;
  /** Epoch ms after which the message must not be delivered (v5 Message Expiry Interval). */
  expiresAt?: number;
  properties?: MessageAttributes;
  /**
   * Set by routing per recipient: the shared subscriptions (`$share/…`) whose group chose this
   * session for the message. A shared subscription not named here does not deliver it (the group
   * gave it to another member), though the session may have one matching it.
   */
  sharedBy?: readonly string[];
}

/** {@link MessageAttributes} in JSON form (correlation data base64). */
export interface StoredAttributes {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: string;
  userProperties?: UserProperties;
}

/** An outbound message held in state, resolved for this session (delivery QoS, retain flag). */
export interface StoredMessage {
  topic: string;
  /** base64 */
  payload: string;
  qos: QoS;
  retain: boolean;
  expiresAt?: number;
  subscriptionIdentifiers?: number[];
  properties?: StoredAttributes;
}

/** The Will registered by CONNECT. */
export interface StoredWill {
  topic: string;
  /** base64 */
  payload: string;
  qos: QoS;
  retain: boolean;
  /** v5 Will Delay Interval, seconds. */
  delay: number;
  /** v5 Message Expiry Interval, seconds, counted from publication. */
  expiryInterval?: number;
  properties?: StoredAttributes;
}

/** A granted subscription. */
export interface Subscription {
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  /** v5 Subscription Identifier. */
  identifier?: number;
}

/**
 * An outbound QoS 1/2 message awaiting acknowledgement. `phase` "publish": PUBLISH
 * sent, awaiting PUBACK/PUBREC. "pubrel": PUBREL sent, awaiting PUBCOMP (the
 * message itself is no longer needed).
 */
export type InflightEntry =
  | { packetId: number; phase: "publish"; message: StoredMessage }
  | { packetId: number; phase: "pubrel" };

/** What the client announced in CONNECT (v5; 3.1.1 gets the defaults). */
export interface ClientLimits {
  receiveMaximum: number;
  /** 0 means no limit. */
  maximumPacketSize: number;
  /** Topic aliases the client accepts from us (v5 Topic Alias Maximum); 0 or absent: none. */
  topicAliasMaximum?: number;
}

/**
 * The whole session: what survives between connections (subscriptions, in-flight
 * and queued messages, QoS 2 ids) and what belongs to the current connection.
 * Times are epoch milliseconds; intervals are seconds.
 */
export interface SessionState {
  v: 1;
  clientId: string;
  /** A session exists (false before the first CONNECT and after it ended). */
  exists: boolean;
  connected: boolean;
  protocolVersion: ProtocolVersion;
  /** Effective keep-alive, seconds; 0 = none. */
  keepAlive: number;
  /** Last packet received. Not worth persisting on its own (see SessionResult.persist). */
  lastActivity: number;
  /** Session Expiry Interval, seconds; NEVER_EXPIRES for never. */
  expiryInterval: number;
  disconnectedAt: number | null;
  /** Registered will (connected), or a will waiting for its delay (disconnected, willAt set). */
  will: StoredWill | null;
  willAt: number | null;
  subscriptions: Subscription[];
  /** Inbound topic aliases of this connection (alias number → topic). */
  topicAliases: Record<string, string>;
  /** Outbound topic aliases of this connection: alias n is `outAliases[n - 1]` (absent in older states). */
  outAliases?: string[];
  /** Inbound QoS 2 packet ids whose PUBLISH was accepted and whose PUBREL has not arrived. */
  awaitingRelease: number[];
  nextPacketId: number;
  inflight: InflightEntry[];
  queue: StoredMessage[];
  client: ClientLimits;
  limits: SessionLimits;
}

/** Per-call input: the access policy and its variables (they can change between calls). */
export interface SessionContext {
  policy: Policy;
  variables: PolicyVariables;
}

/** The host's verdict on the CONNECT credentials. */
export type AuthResult =
  | { ok: true }
  | { ok: false; reason: "bad-credentials" | "not-authorized" | "banned" | "server-unavailable" };

/** Why a message was not delivered (reported, never fatal). */
export type DropReason = "offline" | "queue-full" | "expired" | "too-large" | "not-authorized" | "payload-format-invalid";

/**
 * What the host must do, in order, after persisting `state` (when `persist`).
 * - `publish`: a message from this client (or its will). Store it durably if QoS > 0
 *   or retained (an empty retained payload clears the retained message), fan it
 *   out, and only once durable send `ack` (PUBACK/PUBREC) on this connection.
 *   `resent`: a QoS 2 message whose packet id the session holds already (a resend before
 *   PUBREL): routed once already, or cut off on its way (a restart); the host, which knows
 *   which, routes it only in the second case, then sends `ack`.
 * - `deliverRetained`: a subscription was made; send each retained message matching
 *   `filter` through `deliver(state, msg, ctx, now, { retainedFor: filter })`.
 * - `dropped`: informational (metrics, logs).
 * - `close`: close this connection after sending `out` and earlier acks.
 * - `sessionEnded`: the session is gone; the host may delete its stored row.
 */
export type Effect =
  | { type: "publish"; message: Message; ack: MqttPacket | null; resent?: true; will?: true }
  | { type: "deliverRetained"; filter: string; qos: QoS }
  | { type: "dropped"; topic: string; reason: DropReason }
  | { type: "close"; reasonCode: number }
  | { type: "sessionEnded" };

/**
 * Result of every session function. `out` packets go to this connection in order,
 * never ahead of durable writes of earlier results. `persist` is false when only
 * volatile fields (lastActivity) changed, so the host can skip the write.
 */
export interface SessionResult {
  state: SessionState;
  out: MqttPacket[];
  effects: Effect[];
  persist: boolean;
}
