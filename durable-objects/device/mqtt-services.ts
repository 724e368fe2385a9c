/** What the MQTT host needs from its DeviceObject. */
import type { Message, SessionContext, SessionLimits } from "../../protocols/mqtt";
import type { DeviceStore } from "./store";

export interface MqttServices {
  readonly deviceId: string;
  readonly store: DeviceStore;
  /** Session limits from the deployment's config. */
  readonly limits: Partial<SessionLimits>;
  /** The device's MQTT sockets. */
  sockets(): WebSocket[];
  /** Closes the device's JSON and CoAP connections (an MQTT session took over). */
  closeOtherProtocols(): void;
  /** Presence changed. */
  presence(connected: boolean, remote: string | null): void;
  /**
   * Handles a message the device published; messages for the device itself (shadow
   * responses) are appended to `self`. Returns a v5 reason code (0 = success) and, when the
   * write is group-committed, a promise that resolves once it is durable: the acknowledgement
   * waits for it.
   */
  route(message: Message, self: Message[]): Promise<{ reason: number; durable?: Promise<void> }>;
  /** Policy and variables of the session (`channels`: the device's channels, from the socket). */
  context(channels: readonly string[] | null): SessionContext;
  /** Registers / drops a subscription where messages for it come from (a channel, the fleet index). */
  subscribe(filter: string): Promise<void>;
  unsubscribe(filter: string): Promise<void>;
  /** Retained messages matching a new subscription's filter. */
  retained(filter: string): Promise<Message[]>;
  /** Sets (or clears) the object's alarm for the session's next deadline. */
  scheduleAlarm(at: number | null): Promise<void>;
}
