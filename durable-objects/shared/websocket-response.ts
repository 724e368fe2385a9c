/**
 * The 101 that hands a WebSocket to a client, the one way every socket of the hub is answered
 * (MQTT, CoAP, device JSON, live events, and the object hops behind them).
 *
 * It refuses permessage-deflate. Browsers and MQTT.js offer it on every connection, and the
 * runtime accepts whatever was offered unless the 101 names its own choice: then every frame is
 * deflated and inflated (MQTT.js sends each field of a packet as its own frame), and each socket
 * keeps two zlib contexts for its lifetime. Device traffic is small binary or short JSON, so
 * compression costs CPU and memory and saves little; mosquitto and Aedes do not offer it either.
 * A value that names no permessage-deflate offer is how a Worker asks for none: the runtime
 * (kj's MANUAL_COMPRESSION negotiation) agrees to no extension and sends no such header.
 */
const NO_COMPRESSION = "x-umbra-uncompressed";

/** A 101 with `socket`, naming `subprotocol` when there is one, without compression. */
export function webSocketResponse(socket: WebSocket, subprotocol?: string | null): Response {
  const headers: Record<string, string> = { "sec-websocket-extensions": NO_COMPRESSION };
  if (subprotocol) headers["sec-websocket-protocol"] = subprotocol;
  return new Response(null, { status: 101, webSocket: socket, headers });
}
