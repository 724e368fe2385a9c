/** MQTT.js clients for load: connect many at a bounded concurrency, end them all. */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { mapLimit } from "./admin";
import type { MqttEndpoint } from "./brokers";

/** Connects one MQTT.js client (3.1.1 unless told otherwise); rejects on CONNACK refusal or timeout. */
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
