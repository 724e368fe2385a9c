/**
 * The messages a device and the hub exchange, typed from the hub's own definitions
 * (protocols/json/messages.ts, protocols/json-value.ts, the live-event type of the device
 * object), so the SDK and the hub cannot drift.
 */
import type { CommandResultMessage } from "../protocols/json/messages";
import type { JsonObject } from "../protocols/json-value";

export type {
  AckOut,
  CommandOut,
  CommandResultMessage,
  DeviceMessage,
  ErrorOut,
  HubMessage,
  MethodOut,
  MethodResponseMessage,
  ShadowAcceptedOut,
  ShadowDeltaOut,
  ShadowRejectedOut,
  ShadowUpdateMessage,
  TelemetryMessage,
} from "../protocols/json/messages";
export type { JsonObject, JsonValue } from "../protocols/json-value";
export type { DeviceEvent, DeviceEventType } from "../durable-objects/device/events";

/** How a command ended on the device. */
export type CommandStatus = CommandResultMessage["status"];

/** A plain JSON object, checked (`JSON.parse` output narrowed without casts elsewhere). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
