/** Per-socket state kept in WebSocket attachments (so it survives hibernation), and socket helpers. */
import type { ProtocolVersion } from "../../protocols/mqtt";
import { webSocketResponse } from "../shared/websocket-response";

/** Device protocols a socket may speak. */
export type DeviceProtocol = "json" | "mqtt" | "coap";

/** MQTT connection state of a socket. */
export interface MqttSocketState {
  /** "connecting" until CONNECT is accepted; "closed" once the session went offline. */
  stage: "connecting" | "connected" | "closed";
  version: ProtocolVersion | null;
}

/**
 * The credential a connection was opened with, as the edge Worker verified it: revoking or
 * expiring it ends the connection.
 */
export interface Credential {
  /** A device credential's id (`cred_…` or `x509:<fingerprint>`). */
  credentialId?: string;
  /** An app credential's owner (`key:<id>`, `client:<id>`, `admin`). */
  owner?: string;
  /** When the credential stops being valid (epoch ms; OAuth access tokens). */
  expiresAt?: number;
}

/** A device socket on the JSON protocol (or the Worker's link for a CoAP connection). */
export interface JsonAttachment extends Credential {
  role: "device";
  protocol: "json" | "coap";
  connectedAt: number;
  remote: string | null;
  /** CoAP links: the resources their client observes (`commands`, `methods`). */
  observes?: ("commands" | "methods")[];
}

/** A link from the edge Worker carrying one MQTT connection (device or app session). */
export interface MqttAttachment extends Credential {
  role: "device";
  protocol: "mqtt";
  connectedAt: number;
  remote: string | null;
  mqtt: MqttSocketState;
}

/** What an object remembers about each accepted socket. */
/**
 * Who opened a live stream, so that it ends when their access does: an app credential's owner
 * (`key:<id>`, `client:<id>`; revoking it ends the stream), a device credential, and when the
 * credential expires (an OAuth access token: no event is sent past it).
 */
export interface StreamHolder {
  owner?: string;
  credentialId?: string;
  expiresAt?: number;
  /** Its holder may not read shadows (an app without `shadows:read`): no `shadow.*` events. */
  hideShadow?: boolean;
}

/** Whether `holder` is sent events of `type`. */
export function sees(holder: StreamHolder, type: string): boolean {
  return !(holder.hideShadow && type.startsWith("shadow."));
}

/** The request headers the Worker names a stream's holder with. */
export function streamHolderOf(request: Request): StreamHolder {
  const h = request.headers;
  const expires = Number(h.get("x-umbra-expires") ?? "");
  return {
    ...(h.get("x-umbra-owner") ? { owner: h.get("x-umbra-owner")! } : {}),
    ...(h.get("x-umbra-credential") ? { credentialId: h.get("x-umbra-credential")! } : {}),
    ...(expires > 0 ? { expiresAt: expires } : {}),
    ...(h.get("x-umbra-hide") === "shadow" ? { hideShadow: true } : {}),
  };
}

export type Attachment = JsonAttachment | MqttAttachment | ({ role: "stream" } & StreamHolder);

/** The device's open sockets on the JSON protocol (normally one). */
export function deviceSockets(ctx: DurableObjectState): WebSocket[] {
  return ctx.getWebSockets("device").filter((ws) => ws.readyState === WebSocket.OPEN);
}

/** The device's open MQTT sockets. */
export function mqttSockets(ctx: DurableObjectState): WebSocket[] {
  return ctx.getWebSockets("mqtt").filter((ws) => ws.readyState === WebSocket.OPEN);
}

/** Whether an MQTT socket's session is through its CONNECT (and not closed): a connected device. */
export function mqttConnected(ws: WebSocket): boolean {
  return (ws.deserializeAttachment() as MqttAttachment | null)?.mqtt.stage === "connected";
}

/** Every open connection of the device, whatever its protocol (JSON, CoAP, MQTT). */
export function connectionSockets(ctx: DurableObjectState): WebSocket[] {
  return [...deviceSockets(ctx), ...mqttSockets(ctx)];
}

/** Closes a socket, ignoring one that is already closed; 1005/1006 may not be sent, so they become 1000. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code === 1005 || code === 1006 ? 1000 : code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}

/** The credential the edge Worker verified, from the headers it set on the upgrade. */
export function credentialOf(request: Request): Credential {
  const c: Credential = {};
  const id = request.headers.get("x-umbra-credential");
  const owner = request.headers.get("x-umbra-owner");
  const expires = Number(request.headers.get("x-umbra-expires") || NaN);
  if (id) c.credentialId = id;
  if (owner) c.owner = owner;
  if (Number.isFinite(expires) && expires > 0) c.expiresAt = expires;
  return c;
}

/** The attachment of a new MQTT link, from the headers the Worker set on the upgrade. */
export function mqttAttachment(request: Request): MqttAttachment {
  return {
    role: "device",
    protocol: "mqtt",
    connectedAt: Date.now(),
    remote: request.headers.get("x-umbra-remote") || null,
    ...credentialOf(request),
    mqtt: { stage: "connecting", version: null },
  };
}

/** Accepts an MQTT socket (tag "mqtt") and answers the 101 with the subprotocol the Worker chose. */
export function acceptMqttSocket(ctx: DurableObjectState, attachment: MqttAttachment, request: Request): Response {
  const pair = new WebSocketPair();
  ctx.acceptWebSocket(pair[1], ["mqtt"]);
  pair[1].serializeAttachment(attachment);
  const sub = request.headers.get("x-umbra-subprotocol");
  return webSocketResponse(pair[0], sub);
}
