/** Per-socket state kept in WebSocket attachments (so it survives hibernation), and socket helpers. */
import type { ProtocolVersion } from "../../protocols/mqtt";

/** Device protocols a socket may speak. */
export type DeviceProtocol = "json" | "mqtt" | "coap";

/** MQTT connection state of a socket. */
export interface MqttSocketState {
  /** "connecting" until CONNECT is accepted; "closed" once the session went offline. */
  stage: "connecting" | "connected" | "closed";
  version: ProtocolVersion | null;
  /** The Worker already authenticated CONNECT (relay path). */
  relayed: boolean;
  /** SHA-256 of the device's live tokens, to check the CONNECT password (fast path); emptied once used. */
  hashes: string[];
  /** Channels the device is connected to (its `${channel}` policy variable). */
  channels: string[];
}

/** A device socket on the JSON protocol (or the Worker's link for a CoAP connection). */
export interface JsonAttachment {
  role: "device";
  protocol: "json" | "coap";
  connectedAt: number;
  remote: string | null;
}

/** A device socket speaking MQTT. */
export interface MqttAttachment {
  role: "device";
  protocol: "mqtt";
  connectedAt: number;
  remote: string | null;
  mqtt: MqttSocketState;
}

/** What an object remembers about each accepted socket. */
export type Attachment = JsonAttachment | MqttAttachment | { role: "stream" };

/** The device's open sockets on the JSON protocol (normally one). */
export function deviceSockets(ctx: DurableObjectState): WebSocket[] {
  return ctx.getWebSockets("device").filter((ws) => ws.readyState === WebSocket.OPEN);
}

/** The device's open MQTT sockets. */
export function mqttSockets(ctx: DurableObjectState): WebSocket[] {
  return ctx.getWebSockets("mqtt").filter((ws) => ws.readyState === WebSocket.OPEN);
}

/** Closes a socket, ignoring one that is already closed; 1005/1006 may not be sent, so they become 1000. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code === 1005 || code === 1006 ? 1000 : code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}

/** The attachment of a new MQTT socket, from the headers the Worker set on the upgrade. */
export function mqttAttachment(request: Request, hashes: string[], channels: string[]): MqttAttachment {
  return {
    role: "device",
    protocol: "mqtt",
    connectedAt: Date.now(),
    remote: request.headers.get("x-umbra-remote") || null,
    mqtt: { stage: "connecting", version: null, relayed: request.headers.get("x-umbra-relayed") === "1", hashes, channels },
  };
}

/** Accepts an MQTT socket (tag "mqtt") and answers the 101 with the subprotocol the Worker chose. */
export function acceptMqttSocket(ctx: DurableObjectState, attachment: MqttAttachment, request: Request): Response {
  const pair = new WebSocketPair();
  ctx.acceptWebSocket(pair[1], ["mqtt"]);
  pair[1].serializeAttachment(attachment);
  const sub = request.headers.get("x-umbra-subprotocol");
  return new Response(null, { status: 101, webSocket: pair[0], headers: sub ? { "sec-websocket-protocol": sub } : {} });
}
