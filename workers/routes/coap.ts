/** `/.well-known/coap`: CoAP over WebSockets (RFC 8323 §4), subprotocol `coap`. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { clientAddress } from "../edge/client-address";
import { offeredProtocols } from "./connect";
import { CoapBridge } from "../coap/bridge";
import { webSocketResponse } from "../../durable-objects/shared/websocket-response";

export const coap = new Hono<AppEnv>();

coap.get("/.well-known/coap", (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("upgrade-required", "CoAP is served over WebSocket here", {}, { upgrade: "websocket" });
  // libcoap fails silently unless the 101 echoes "coap" (RFC 8323 §4.1).
  if (!offeredProtocols(c.req.header("sec-websocket-protocol")).includes("coap")) throw new ApiError("invalid-request", 'Offer the "coap" subprotocol');
  const pair = new WebSocketPair();
  new CoapBridge(c.env, pair[1], clientAddress(c)).start();
  return webSocketResponse(pair[0], "coap");
});
