/**
 * The WebSocket the SDK needs, as the browser defines it, and where it comes from: the
 * runtime's own `WebSocket` by default (browsers, Node 22+), or `ws` once `umbra/sdk` for Node is
 * imported (it can also send headers, which a browser WebSocket cannot). Tests pass a fake.
 */

/** The part of the WHATWG WebSocket the SDK uses. */
export interface SocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** `readyState` of an open socket (WHATWG). */
export const OPEN = 1;

/** Opens WebSockets. */
export interface SocketFactory {
  /** Whether `open` can send request headers (false for a browser's WebSocket). */
  readonly canSendHeaders: boolean;
  open(url: string, protocols: string[], headers?: Record<string, string>): SocketLike;
}

type WebSocketCtor = new (url: string, protocols?: string[]) => SocketLike;

/** The runtime's global WebSocket (browsers, Node 22+, Deno, workerd); it sends no headers. */
export const globalSocketFactory: SocketFactory = {
  canSendHeaders: false,
  open(url, protocols) {
    const Ctor = (globalThis as unknown as { WebSocket?: WebSocketCtor }).WebSocket;
    if (Ctor === undefined) throw new Error("no WebSocket in this runtime: on Node 20 import the SDK from its Node entry (umbra/sdk), which brings `ws`");
    return new Ctor(url, protocols);
  },
};

let defaultFactory: SocketFactory = globalSocketFactory;

/** The factory used when an App or Device is given none. */
export function defaultSocketFactory(): SocketFactory {
  return defaultFactory;
}

/** Replaces the default factory (the Node entry installs `ws` this way). */
export function setDefaultSocketFactory(factory: SocketFactory): void {
  defaultFactory = factory;
}

/** The HTTP status of a refused upgrade, where the runtime tells it (`ws` does; browsers do not). */
export function upgradeStatus(ev: unknown): number | undefined {
  const message = typeof ev === "object" && ev !== null ? (ev as { message?: unknown }).message : undefined;
  const m = typeof message === "string" ? /Unexpected server response: (\d{3})/.exec(message) : null;
  return m ? Number(m[1]) : undefined;
}

/** A WebSocket URL for a hub path: http → ws, https → wss. */
export function socketUrl(base: string, path: string): string {
  // Joined as text, so a base with a path prefix (https://host/umbra) keeps it.
  const u = new URL(`${base.replace(/\/+$/, "")}${path}`);
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  return u.toString();
}

/** Text of a message event's data (text frames; binary frames as UTF-8). */
export function frameText(data: unknown): string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  if (Array.isArray(data)) return data.map(frameText).join("");
  return String(data);
}
