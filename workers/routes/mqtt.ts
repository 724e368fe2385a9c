/**
 * MQTT 3.1.1 / 5.0 over WebSockets (subprotocols `mqtt`, `mqttv3.1`).
 * - `/mqtt/<deviceId>` (fast path): the Worker checks the device exists and is enabled and
 *   hands the upgrade straight to its DeviceObject, which authenticates CONNECT itself
 *   against the credential hashes passed along and owns the socket (hibernation API).
 * - `/mqtt`: the device id is only in CONNECT, so the Worker terminates the socket, reads
 *   CONNECT, authenticates it, then relays to the device's object.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { offeredProtocols } from "./connect";
import { getDevice } from "../registry/devices";
import { liveTokenHashes } from "../registry/credentials";
import { MqttRelay } from "../mqtt/relay";
import { openDeviceSession } from "../mqtt/open-session";

export const mqtt = new Hono<AppEnv>();

/** The MQTT subprotocol to answer: the first of ours the client offered [MQTT-6.0.0-3]. */
function subprotocol(c: Context<AppEnv>): string {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("upgrade-required", "MQTT is served over WebSocket here", {}, { upgrade: "websocket" });
  const offered = offeredProtocols(c.req.header("sec-websocket-protocol"));
  const chosen = offered.find((p) => p === "mqtt" || p === "mqttv3.1");
  if (!chosen) throw new ApiError("invalid-request", 'Offer the "mqtt" subprotocol');
  return chosen;
}

mqtt.get("/mqtt/:deviceId", async (c) => {
  const sub = subprotocol(c);
  const device = await getDevice(c.env, c.req.param("deviceId"));
  if (!device.enabled) throw new ApiError("forbidden", "The device is disabled");
  const hashes = await liveTokenHashes(c.env, device.id, Date.now());
  return openDeviceSession(c.env, c.req.header("cf-connecting-ip") ?? "", device.id, sub, { relayed: false, hashes });
});

mqtt.get("/mqtt", (c) => {
  const sub = subprotocol(c);
  const pair = new WebSocketPair();
  new MqttRelay(c.env, pair[1], sub, c.req.header("cf-connecting-ip") ?? "").start();
  return new Response(null, { status: 101, webSocket: pair[0], headers: { "sec-websocket-protocol": sub } });
});
