/**
 * MQTT 3.1.1 / 5.0 over WebSockets (subprotocols `mqtt`, `mqttv3.1`) at `/mqtt` and
 * `/mqtt/<deviceId>`. Both are served the same way: the edge Worker holds the client's socket,
 * frames packets and authenticates CONNECT (workers/mqtt/edge.ts), and the session runs in the
 * device's (or app's) object behind a hibernatable link. `/mqtt/<deviceId>` only admits that
 * device; every id gets the same answer until CONNECT proves who is asking.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { clientAddress } from "../edge/client-address";
import { offeredProtocols } from "./connect";
import { MqttEdge } from "../mqtt/edge";
import { deviceConfig } from "../../durable-objects/device/config";
import { webSocketResponse } from "../../durable-objects/shared/websocket-response";

export const mqtt = new Hono<AppEnv>();

/** The MQTT subprotocol to answer: the first of ours the client offered [MQTT-6.0.0-3]. */
function subprotocol(c: Context<AppEnv>): string {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("upgrade-required", "MQTT is served over WebSocket here", {}, { upgrade: "websocket" });
  const offered = offeredProtocols(c.req.header("sec-websocket-protocol"));
  const chosen = offered.find((p) => p === "mqtt" || p === "mqttv3.1");
  if (!chosen) throw new ApiError("invalid-request", 'Offer the "mqtt" subprotocol');
  return chosen;
}

function serve(c: Context<AppEnv>, deviceId: string | undefined): Response {
  const sub = subprotocol(c);
  const pair = new WebSocketPair();
  const options = {
    subprotocol: sub,
    remote: clientAddress(c),
    maximumPacketSize: deviceConfig(c.env as unknown as Record<string, unknown>).mqtt.maximumPacketSize,
    ...(deviceId === undefined ? {} : { deviceId }),
  };
  new MqttEdge(c.env, pair[1], options).start();
  return webSocketResponse(pair[0], sub);
}

mqtt.get("/mqtt/:deviceId", (c) => serve(c, c.req.param("deviceId")));
mqtt.get("/mqtt", (c) => serve(c, undefined));
