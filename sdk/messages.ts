/**
 * The messages a device and the hub exchange, typed from the hub's own definitions
 * (protocols/json/messages.ts, protocols/json-value.ts, the live-event type of the device
 * object), so the SDK and the hub cannot drift. The command and method messages of the issue-10
 * contract are declared here until the hub's message module defines them.
 */
import type { DeviceMessage, HubMessage } from "../protocols/json/messages";
import type { JsonObject, JsonValue } from "../protocols/json-value";

export type {
  AckOut,
  DeviceMessage,
  ErrorOut,
  HubMessage,
  ShadowAcceptedOut,
  ShadowDeltaOut,
  ShadowRejectedOut,
  ShadowUpdateMessage,
  TelemetryMessage,
} from "../protocols/json/messages";
export type { JsonObject, JsonValue } from "../protocols/json-value";
export type { DeviceEvent, DeviceEventType } from "../durable-objects/device/events";

/** hub → device: a queued command (contract of issue 10). */
export type CommandOut = { type: "command"; id: string; name: string; payload?: JsonValue };

/** hub → device: a direct method call (contract of issue 10). */
export type MethodOut = { type: "method"; id: string; name: string; payload?: JsonValue };

/** How a command ended on the device. */
export type CommandStatus = "completed" | "rejected" | "failed";

/** device → hub: a command's outcome. */
export type CommandResultMessage = { type: "command.result"; id: string; status: CommandStatus; result?: JsonValue };

/** device → hub: a method's answer; `status` is HTTP-like (200 ok, 4xx/5xx errors). */
export type MethodResponseMessage = { type: "method.response"; id: string; status: number; payload?: JsonValue };

/** Everything the hub may send a JSON device. */
export type InboundMessage = HubMessage | CommandOut | MethodOut;

/** Everything a JSON device may send. */
export type OutboundMessage = DeviceMessage | CommandResultMessage | MethodResponseMessage;

/** A plain JSON object, checked (`JSON.parse` output narrowed without casts elsewhere). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
