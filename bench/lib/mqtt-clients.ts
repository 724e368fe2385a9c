/** MQTT.js clients for load: connect many at a bounded concurrency, end them all. */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import WebSocket from "ws";
import { mapLimit } from "./admin";
import type { MqttEndpoint } from "./brokers";

/**
 * How the load's MQTT.js clients cut their bytes into WebSocket messages: `stream` is MQTT.js's
 * Node default (a byte stream over the socket: ~6 WebSocket messages per PUBLISH, one per
 * piece of the packet); `packet` is its browser build's (the pieces written in one tick go out
 * as one message), which is also how paho, mosquitto's clients and most device stacks send.
 */
export type Framing = "stream" | "packet";
export const FRAMINGS: readonly Framing[] = ["stream", "packet"];
let framing: Framing = "stream";

/** Sets the framing of every client connected from now on in this process. */
export function useFraming(f: Framing): void {
  framing = f;
}

/** MQTT.js options for the framing: the browser stream over a `ws` socket for `packet`. */
function framingOptions(): IClientOptions {
  if (framing === "stream") return {};
  return { forceNativeWebSocket: true, createWebsocket: (url: string, protocols: string[]) => new WebSocket(url, protocols) };
}

/**
 * Connects one client. `onMessage` listens from before the CONNECT: a persistent session's queued
 * messages follow the CONNACK in the same read, and MQTT.js emits (and acknowledges) them before
 * the returned promise resolves.
 */
export function connectMqtt(ep: MqttEndpoint, opts: IClientOptions = {}, onMessage?: mqtt.OnMessageCallback): Promise<MqttClient> {
  const client = mqtt.connect(ep.url, {
    protocolVersion: 4,
    clientId: ep.clientId,
    username: ep.username,
    password: ep.password,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    clean: true,
    ...framingOptions(),
    ...opts,
  });
  if (onMessage) client.on("message", onMessage);
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", (e) => {
      client.end(true);
      reject(new Error(`${ep.clientId} could not connect to ${ep.url}: ${e.message}`));
    });
    client.once("close", () => reject(new Error(`${ep.clientId}: connection closed before CONNACK`)));
  });
}

/** Connects every endpoint, `concurrency` at a time; on any failure the others are ended too. */
export async function connectAll(eps: readonly MqttEndpoint[], opts: IClientOptions = {}, concurrency = 25): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  try {
    return await mapLimit(eps, concurrency, async (ep) => {
      const c = await connectMqtt(ep, opts);
      clients.push(c);
      return c;
    });
  } catch (e) {
    endAll(clients, true);
    throw e;
  }
}

/** Ends clients; `force` drops the sockets without waiting for in-flight packets. */
export function endAll(clients: readonly MqttClient[], force = false): Promise<void> {
  return Promise.all(clients.map((c) => new Promise<void>((r) => c.end(force, {}, () => r())))).then(() => undefined);
}
