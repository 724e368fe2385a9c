/**
 * Closing a WebSocket that may still be connecting. Closing it then makes the browser log
 * "WebSocket is closed before the connection is established" (one line per stream when a list
 * of devices is paged quickly), so such a socket is closed as soon as it opens instead.
 */

/** `WebSocket.CONNECTING` (the global is not there under Node's tests everywhere). */
const CONNECTING = 0;

/** What closing needs of a WebSocket. */
export interface ClosableSocket {
  readonly readyState: number;
  close(code?: number): void;
  addEventListener(type: "open", listener: () => void, options?: { once?: boolean }): void;
}

/** Closes `ws` normally (1000) now, or when it opens if it is still connecting. */
export function closeSocket(ws: ClosableSocket): void {
  if (ws.readyState === CONNECTING) ws.addEventListener("open", () => ws.close(1000), { once: true });
  else ws.close(1000);
}
