/**
 * Message types of the plain-JSON WebSocket protocol: one JSON object per text frame, told
 * apart by its `type`. Shadow messages carry AWS's shadow documents unchanged (the same bodies
 * MQTT devices get on `$aws/things/<id>/shadow/...`), with `shadow` naming the shadow (`""` is
 * the classic one).
 */
import type { JsonObject, JsonValue } from "../json-value";

/** The shadow operations. */
export type ShadowOpName = "get" | "update" | "delete";

// ---- device → hub ------------------------------------------------------------------------

/** Ask for a shadow document (answered by `shadow.accepted` or `shadow.rejected`). */
export type ShadowGetMessage = { type: "shadow.get"; shadow: string; clientToken?: string };

/**
 * Update a shadow. `state` is AWS's request state (`{desired?, reported?}`, `null` deletes);
 * its contents are validated by the shadow itself, which answers with AWS's errors.
 */
export type ShadowUpdateMessage = {
  type: "shadow.update";
  shadow: string;
  state: JsonObject | null;
  version?: number;
  clientToken?: string;
};

/** Delete a shadow. */
export type ShadowDeleteMessage = { type: "shadow.delete"; shadow: string; version?: number; clientToken?: string };

/**
 * Telemetry: a non-empty object of readings; `ts` is the device's epoch-milliseconds time.
 * With an `id`, the hub answers `ack` (stored) or `error` (refused, e.g. `busy`) with that id.
 */
export type TelemetryMessage = { type: "telemetry"; data: JsonObject; ts?: number; id?: string | number };

/** Keep-alive; answered by `pong` with the same `id`. */
export type PingMessage = { type: "ping"; id?: string | number };

/** The outcome of a command the hub sent (`command`): it ran, the device refused it, or it failed. */
export type CommandResultMessage = { type: "command.result"; id: string; status: "completed" | "rejected" | "failed"; result?: JsonValue };

/** The answer to a direct method (`method`): an HTTP-like status and an optional payload. */
export type MethodResponseMessage = { type: "method.response"; id: string; status: number; payload?: JsonValue };

/**
 * A CoAP link (the edge bridge of a CoAP connection) asks for what its client observes:
 * `/commands` or `/methods`; JSON devices get both without asking. `unobserve`: its last
 * observer of the resource is gone (cancelled, reset, or ended by an error notification).
 */
export type ObserveMessage = { type: "observe"; resource: "commands" | "methods" };
export type UnobserveMessage = { type: "unobserve"; resource: "commands" | "methods" };

/** Any message a device may send. */
export type DeviceMessage =
  | ShadowGetMessage
  | ShadowUpdateMessage
  | ShadowDeleteMessage
  | TelemetryMessage
  | PingMessage
  | CommandResultMessage
  | MethodResponseMessage
  | ObserveMessage
  | UnobserveMessage;

/** The `type` of a device message. */
export type DeviceMessageType = DeviceMessage["type"];

// ---- hub → device ------------------------------------------------------------------------

/** The open delta of a shadow (AWS `/update/delta` body plus `shadow`). */
export type ShadowDeltaOut = {
  type: "shadow.delta";
  shadow: string;
  version: number;
  state: JsonObject;
  metadata: JsonValue;
  timestamp?: number;
  clientToken?: string;
};

/** A request was accepted: AWS's `/accepted` body (`state`, `metadata` for get/update) plus `shadow`, `op`. */
export type ShadowAcceptedOut = {
  type: "shadow.accepted";
  shadow: string;
  op: ShadowOpName;
  version: number;
  timestamp: number;
  state?: JsonValue;
  metadata?: JsonValue;
  clientToken?: string;
};

/** A request was rejected: AWS's error document (`code` is an HTTP status) plus `shadow`, `op`. */
export type ShadowRejectedOut = {
  type: "shadow.rejected";
  shadow: string;
  op: ShadowOpName;
  code: number;
  message: string;
  timestamp?: number;
  clientToken?: string;
};

/** A shadow changed: AWS's `/update/documents` body (`null` for no document) plus `shadow`. */
export type ShadowDocumentsOut = {
  type: "shadow.documents";
  shadow: string;
  previous: JsonValue;
  current: JsonValue;
  timestamp?: number;
  clientToken?: string;
};

/** Answer to `ping`. */
export type PongOut = { type: "pong"; id?: string | number };

/** A command for the device, from its durable queue, in order; answer with `command.result`. */
export type CommandOut = { type: "command"; id: string; name: string; payload: JsonValue };

/** A direct method call; answer with `method.response` before the caller's timeout. */
export type MethodOut = { type: "method"; id: string; name: string; payload: JsonValue };

/** Telemetry with an `id` was stored (durably) under that id. */
export type AckOut = { type: "ack"; id: string | number };

/**
 * A message could not be understood or was refused; the connection stays open. `busy`: the
 * device sends faster than its limit, nothing was stored; send again after `retryAfterMs`.
 * `rate_exceeded`: it kept sending past ten times its limit regardless; close 4429 follows.
 */
/** `id` echoes a telemetry message's id; `clientToken` a shadow request's (so a device can tell which one was refused). */
export type ErrorOut = { type: "error"; code: string; message: string; id?: string | number; clientToken?: string; retryAfterMs?: number };

/** Any message the hub sends. */
export type HubMessage = ShadowDeltaOut | ShadowAcceptedOut | ShadowRejectedOut | ShadowDocumentsOut | PongOut | AckOut | ErrorOut | CommandOut | MethodOut;

// ---- errors ------------------------------------------------------------------------------

/** Why a frame was refused. */
export type JsonProtocolErrorCode = "bad_json" | "bad_message" | "too_large" | "unknown_type";

/**
 * Why a frame was refused; `id` is the message's own id when it had a usable one, so the device
 * knows which. A malformed shadow request carries `shadow`: it is answered `shadow.rejected` 400
 * with its clientToken, as AWS answers `/rejected`, not with a bare `error`.
 */
export type JsonProtocolError = {
  code: JsonProtocolErrorCode;
  message: string;
  id?: string | number;
  shadow?: { name: string; op: ShadowOpName; clientToken?: string };
};

/** Outcome of parsing one frame. */
export type ParseResult = { ok: true; message: DeviceMessage } | { ok: false; error: JsonProtocolError };
