/**
 * The Umbra SDK for Node (`umbra/sdk`): the same API as sdk/index.ts, with `ws` as the
 * WebSocket (Node 20 has none, and `ws` can send the `Authorization` header, so event streams
 * use a WebSocket rather than SSE).
 */
import WebSocket from "ws";
import type { SocketLike } from "./socket";
import { setDefaultSocketFactory } from "./socket";

setDefaultSocketFactory({
  canSendHeaders: true,
  open(url, protocols, headers) {
    // `ws` implements the WHATWG surface SocketLike names (on* handlers, readyState, send, close).
    return new WebSocket(url, protocols, { headers }) as unknown as SocketLike;
  },
});

export * from "./index";
