/**
 * Builders for hub → device messages of the JSON protocol. They copy known fields only (so a
 * body carrying extra keys cannot override `type`) and drop absent optional ones.
 */
import type { JsonObject, JsonValue } from "../json-value";
import type {
  ErrorOut,
  HubMessage,
  JsonProtocolError,
  PongOut,
  ShadowAcceptedOut,
  ShadowDeltaOut,
  ShadowDocumentsOut,
  ShadowOpName,
  ShadowRejectedOut,
} from "./messages";

/** Optional fields shared by AWS's shadow bodies. */
type Stamped = { timestamp?: number; clientToken?: string };

const stamped = (body: Stamped): Stamped => ({
  ...(body.timestamp === undefined ? {} : { timestamp: body.timestamp }),
  ...(body.clientToken === undefined ? {} : { clientToken: body.clientToken }),
});

/**
 * `shadow.delta` from an AWS `/update/delta` body (the shadow module's `deltaOf` or delta event).
 * @example shadowDelta("", { state: { color: "RED" }, metadata: { color: { timestamp: 1 } }, version: 3 })
 */
export function shadowDelta(
  shadow: string,
  body: { state: JsonObject; metadata: JsonValue; version: number } & Stamped,
): ShadowDeltaOut {
  return { type: "shadow.delta", shadow, version: body.version, state: body.state, metadata: body.metadata, ...stamped(body) };
}

/**
 * `shadow.accepted` from an AWS `/accepted` body.
 * @example shadowAccepted("", "delete", { version: 4, timestamp: 1591057529 })
 */
export function shadowAccepted(
  shadow: string,
  op: ShadowOpName,
  body: { version: number; timestamp: number; state?: JsonValue; metadata?: JsonValue; clientToken?: string },
): ShadowAcceptedOut {
  return {
    type: "shadow.accepted",
    shadow,
    op,
    ...(body.state === undefined ? {} : { state: body.state }),
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    version: body.version,
    timestamp: body.timestamp,
    ...(body.clientToken === undefined ? {} : { clientToken: body.clientToken }),
  };
}

/**
 * `shadow.rejected` from an AWS error document.
 * @example shadowRejected("", "update", { code: 409, message: "Version conflict", timestamp: 1 })
 */
export function shadowRejected(
  shadow: string,
  op: ShadowOpName,
  body: { code: number; message: string } & Stamped,
): ShadowRejectedOut {
  return { type: "shadow.rejected", shadow, op, code: body.code, message: body.message, ...stamped(body) };
}

/**
 * `shadow.accepted` or `shadow.rejected` from a shadow response (`applyShadow(...).response`).
 * @example send(encodeHubMessage(shadowReply("", applyShadow(doc, req, Date.now()).response)));
 */
export function shadowReply(
  shadow: string,
  response:
    | { status: "accepted"; op: ShadowOpName; body: Parameters<typeof shadowAccepted>[2] }
    | { status: "rejected"; op: ShadowOpName; body: Parameters<typeof shadowRejected>[2] },
): ShadowAcceptedOut | ShadowRejectedOut {
  return response.status === "accepted"
    ? shadowAccepted(shadow, response.op, response.body)
    : shadowRejected(shadow, response.op, response.body);
}

/**
 * `shadow.documents` from an AWS `/update/documents` body.
 * @example shadowDocuments("", { previous: null, current: { state: {}, metadata: {}, version: 1 }, timestamp: 1 })
 */
export function shadowDocuments(
  shadow: string,
  body: { previous: JsonValue; current: JsonValue } & Stamped,
): ShadowDocumentsOut {
  return { type: "shadow.documents", shadow, previous: body.previous, current: body.current, ...stamped(body) };
}

/**
 * `pong`, echoing the ping's `id` when it had one.
 * @example pong("42") // { type: "pong", id: "42" }
 */
export function pong(id?: string | number): PongOut {
  return id === undefined ? { type: "pong" } : { type: "pong", id };
}

/**
 * `error` for a frame that could not be handled (a parse error, or a refusal by the hub).
 * @example errorMessage({ code: "bad_json", message: "message is not valid JSON" })
 */
export function errorMessage(error: JsonProtocolError | { code: string; message: string }): ErrorOut {
  return { type: "error", code: error.code, message: error.message };
}

/** Serializes a hub message for a text frame. */
export function encodeHubMessage(message: HubMessage): string {
  return JSON.stringify(message);
}
