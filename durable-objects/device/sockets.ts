/** Per-socket state kept in WebSocket attachments (so it survives hibernation), and socket helpers. */

/** Device protocols a socket may speak. */
export type DeviceProtocol = "json" | "mqtt" | "coap";

/** What an object remembers about each accepted socket. */
export type Attachment =
  | { role: "device"; protocol: DeviceProtocol; connectedAt: number; remote: string | null }
  | { role: "stream" };

/** The device's open sockets (normally one). */
export function deviceSockets(ctx: DurableObjectState): WebSocket[] {
  return ctx.getWebSockets("device").filter((ws) => ws.readyState === WebSocket.OPEN);
}

/** Closes a socket, ignoring one that is already closed; 1005/1006 may not be sent, so they become 1000. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code === 1005 || code === 1006 ? 1000 : code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}
