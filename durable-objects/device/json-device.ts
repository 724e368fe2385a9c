/**
 * The JSON-over-WebSocket device protocol inside the object: one message in, replies out.
 * Shadow and telemetry work is delegated to the object through `JsonDeviceHost`.
 */
import { parseDeviceMessage } from "../../protocols/json/parse";
import { checkTelemetryTs } from "../../protocols/telemetry-time";
import type { DeviceConfig } from "./config";
import type { HubMessage } from "../../protocols/json/messages";
import type { JsonObject, JsonValue } from "../../protocols/json-value";
import { shadowDelta, shadowDocuments, shadowRejected, shadowReply } from "../../protocols/json/encode";
import type { ShadowEvent } from "../../shadow/shadow";
import type { ShadowOutcome } from "./shadow-service";
import { FLOODING } from "../shared/token-bucket";

/** The error that ends a connection whose device ignored being refused `busy` (close 4429 follows). */
export const RATE_EXCEEDED = "rate_exceeded";

/** What the JSON protocol needs from its object. */
export interface JsonDeviceHost {
  shadow(name: string, input: unknown): ShadowOutcome;
  telemetry(data: JsonObject, ts: number): void;
  /** Milliseconds until the device may send again (0: now; over its rate a message is refused `busy`), or FLOODING (SenderRate). */
  wait(now: number): number;
  /** The device's outcome of a command; false when the command is unknown or finished. */
  commandResult(id: string, status: "completed" | "rejected" | "failed", result: JsonValue | null): boolean;
  /** The device's answer to a direct method; false when nobody waits for it. */
  methodResponse(id: string, status: number, payload: JsonValue): boolean;
  /** A CoAP link's client observes `/commands` or `/methods` (`on`), or no longer does. */
  observe(resource: "commands" | "methods", on: boolean): void;
}

/** The limits a JSON frame is held to. */
export type JsonFrameLimits = Pick<DeviceConfig, "maxMessageBytes" | "jsonMaxDepth" | "telemetryMaxAgeMs">;

/** Handles one frame from a device; returns the messages to send back (in order). */
export function handleJsonFrame(host: JsonDeviceHost, frame: string | ArrayBuffer, limits: JsonFrameLimits, now: number): HubMessage[] {
  const parsed = parseDeviceMessage(frame, { maxBytes: limits.maxMessageBytes, maxDepth: limits.jsonMaxDepth });
  if (!parsed.ok) {
    const { shadow, code, message, id } = parsed.error;
    // A malformed shadow request: AWS's 400 on its /rejected, carrying its clientToken.
    if (shadow) return [shadowRejected(shadow.name, shadow.op, { code: 400, message, timestamp: Math.floor(now / 1000), clientToken: shadow.clientToken })];
    return [refusal(code, message, id)];
  }
  const m = parsed.message;
  if (m.type === "ping") return [m.id === undefined ? { type: "pong" } : { type: "pong", id: m.id }];
  if (m.type === "observe" || m.type === "unobserve") {
    host.observe(m.resource, m.type === "observe");
    return [];
  }
  // The rate holds telemetry and shadow messages; a command's result or a method's answer replies
  // to the hub's own request (as many as it made), and refusing one left the app waiting for nothing.
  if (m.type !== "command.result" && m.type !== "method.response") {
    const wait = host.wait(now);
    if (wait === FLOODING) return [refusal(RATE_EXCEEDED, "over the device's message rate, and still sending after being refused: the connection ends", undefined)];
    if (wait > 0) {
      const busy: HubMessage = { type: "error", code: "busy", message: "over the device's message rate: nothing was stored, send again later", retryAfterMs: wait };
      if (m.type === "telemetry") return [m.id === undefined ? busy : { ...busy, id: m.id }];
      return [m.clientToken === undefined ? busy : { ...busy, clientToken: m.clientToken }];
    }
  }
  switch (m.type) {
    case "telemetry": {
      const ts = m.ts ?? now;
      const t = checkTelemetryTs(ts, now, limits.telemetryMaxAgeMs);
      if (!t.ok) return [refusal("bad_message", `telemetry: ${t.message}`, m.id)];
      host.telemetry(m.data, ts);
      // The write above is in this event: the output gate holds the ack until it is durable.
      return m.id === undefined ? [] : [{ type: "ack", id: m.id }];
    }
    case "shadow.get":
      return [reply(host.shadow(m.shadow, { kind: "get", clientToken: m.clientToken }))];
    case "shadow.update":
      return [reply(host.shadow(m.shadow, { kind: "update", state: m.state, version: m.version, clientToken: m.clientToken }))];
    case "shadow.delete":
      return [reply(host.shadow(m.shadow, { kind: "delete", version: m.version, clientToken: m.clientToken }))];
    case "command.result":
      return host.commandResult(m.id, m.status, m.result ?? null) ? [] : [refusal("unknown_command", `no pending command ${JSON.stringify(m.id)}`, m.id)];
    case "method.response":
      return host.methodResponse(m.id, m.status, m.payload ?? null) ? [] : [refusal("unknown_request", `no method call ${JSON.stringify(m.id)} is waiting (late or unknown)`, m.id)];
  }
}

/** The reply to the requester: `shadow.accepted` or `shadow.rejected`. */
export function reply(o: ShadowOutcome): HubMessage {
  return shadowReply(o.name, o.response);
}

/** Shadow events as pushed to a JSON device: every delta change and every new document pair. */
export function jsonPushes(shadow: string, events: ShadowEvent[]): HubMessage[] {
  return events.map((e): HubMessage => (e.type === "delta" ? shadowDelta(shadow, e.message) : shadowDocuments(shadow, e.message)));
}

/** An `error` reply; it names the refused message's id when there was one, so the device knows which. */
function refusal(code: string, message: string, id: string | number | undefined): HubMessage {
  return id === undefined ? { type: "error", code, message } : { type: "error", code, message, id };
}
