/** What the MQTT host needs from the object that holds its session (a device's or an app's). */
import type { Message, SessionContext, SessionLimits } from "../../protocols/mqtt";
import type { DeviceStore } from "./store";
import type { SenderRate } from "../shared/token-bucket";
import type { DeliveryMarks } from "../shared/delivery-marks";
import type { Once } from "./mqtt-qos2";

/** How a published message was routed: a v5 reason code, and the write its acknowledgement waits for. */
export interface Routed {
  reason: number;
  /** Why, for a v5 client (the PUBACK's or PUBREC's Reason String). */
  reasonString?: string;
  durable?: Promise<void>;
}

export interface MqttServices {
  /** The session's client id. */
  readonly deviceId: string;
  /** The session's address as shards name it (`d:<id>`, `a:<name>`). */
  readonly address: string;
  readonly store: DeviceStore;
  /** The object's SQLite, where the session keeps its queue and in-flight rows. */
  readonly sql: SqlStorage;
  /** What the session already stored from each outbox that delivers to it. */
  readonly marks: DeliveryMarks;
  /** Resolves once everything the object wrote so far is durable (`storage.sync()`). */
  durable(): Promise<void>;
  /** Session limits from the deployment's config. */
  readonly limits: Partial<SessionLimits>;
  /** The client's message rate (absent: unlimited). */
  readonly rate?: SenderRate;
  /** Unacknowledged QoS 1/2 messages a 3.1.1 client may have before it is disconnected. */
  readonly maxPendingAcks: number;
  /** The longest a delivery waits for room in the session's queue (`MQTT_ROOM_WAIT_SECONDS`). */
  readonly roomWaitMs: number;
  /** The session's MQTT links. */
  sockets(): WebSocket[];
  /** Closes the device's JSON and CoAP connections (an MQTT session took over). */
  closeOtherProtocols(): void;
  /**
   * Presence changed. `closedNow` false: the close was the hub's finding, not the device's act
   * (keep-alive expired), so the device's last message stays its last sign of life.
   */
  presence(connected: boolean, remote: string | null, closedNow: boolean): void;
  /**
   * Handles a message the client published; messages for the session itself (shadow
   * responses) are appended to `self`. Returns a v5 reason code (0 = success) and, when the
   * message is written by a batch (group commit, another object), a promise that resolves once
   * it is durable: the acknowledgement waits for it. A promise only when routing had to wait.
   * `once` (a QoS 2 message): each receiver stores it at most once, however often it is routed.
   */
  route(message: Message, self: Message[], once?: Once): Routed | Promise<Routed>;
  /** The session's policy and its variables, as they stand now. */
  context(): SessionContext;
  /**
   * Registers new subscriptions wherever messages for them come from (the topic shards), so
   * they are in force when this resolves; returns the retained messages of each filter.
   */
  subscribe(filters: string[]): Promise<Map<string, Message[]>>;
  unsubscribe(filters: string[]): Promise<void>;
  /** Retained messages matching a filter. */
  retained(filter: string): Promise<Message[]>;
  /**
   * The connected session just subscribed, or (re)connected: deliveries that wait for it (the
   * command queue) may go out. Called after the packets of that event (CONNACK, SUBACK) are queued.
   */
  ready?(): void;
  /**
   * The session's state was discarded: it ended, or a CONNECT started a new one in its place.
   * What it held for its client (commands in its queue or in flight) is gone with it.
   */
  sessionLost?(): void;
  /**
   * An event of the session is handled (e.g. every packet of one message from the client went
   * through it): batched writes may go now. Called after every event, failed ones included, so a
   * write that `route` added to a batch counting on this call is never left waiting.
   */
  burstDone?(): void;
  /** Sets (or clears) the object's alarm for the session's next deadline. */
  scheduleAlarm(at: number | null): Promise<void>;
}
