/** What the MQTT host needs from its DeviceObject. */
import type { Message, SessionLimits } from "../../protocols/mqtt";
import type { DeviceStore } from "./store";

export interface MqttServices {
  readonly deviceId: string;
  readonly store: DeviceStore;
  /** Session limits from the deployment's config. */
  readonly limits: Partial<SessionLimits>;
  /** The device's MQTT sockets. */
  sockets(): WebSocket[];
  /** Whether the CONNECT password is one of the device's live tokens (by SHA-256, constant time). */
  checkPassword(password: Uint8Array | undefined, hashes: readonly string[]): Promise<boolean>;
  /** Closes the device's JSON and CoAP connections (an MQTT session took over). */
  closeOtherProtocols(): void;
  /** Presence changed. */
  presence(connected: boolean, remote: string | null): void;
  /**
   * Handles a message the device published; messages for the device itself (shadow
   * responses) are appended to `self`. Returns a v5 reason code (0 = success).
   */
  route(message: Message, self: Message[]): Promise<number>;
  /** Registers / drops a subscription with a channel. */
  channelSubscribe(channel: string, filter: string): Promise<void>;
  channelUnsubscribe(channel: string, filter: string): Promise<void>;
  /** Retained messages of a channel matching a filter. */
  retained(channel: string, filter: string): Promise<Message[]>;
  /** Sets (or clears) the object's alarm for the session's next deadline. */
  scheduleAlarm(at: number | null): Promise<void>;
}
