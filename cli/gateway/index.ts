/**
 * The edge gateway: TCP MQTT relayed byte for byte to the hub's `/mqtt`, UDP CoAP translated
 * to CoAP over WebSockets at `/.well-known/coap`. Both listen on 127.0.0.1 unless told otherwise.
 */
import { startCoapGateway } from "./coap/server";
import type { TranslatorConfig } from "./coap/config";
import { hubSocketUrl } from "./hub-url";
import type { Logger } from "./log";
import type { Listener } from "./listener";
import { peerName } from "./listener";
import { startMqttBridge } from "./mqtt/bridge";
import type { Counters } from "./stats";
import { newCounters } from "./stats";

/** How to run the gateway. */
export interface GatewayOptions {
  /** The hub's base URL, e.g. http://127.0.0.1:8787. */
  hub: string;
  /** Address both sides bind to. */
  host: string;
  /** TCP MQTT port (0: a free one the system picks), or null for no MQTT side. */
  mqttPort: number | null;
  /** UDP CoAP port (0: a free one the system picks), or null for no CoAP side. */
  coapPort: number | null;
  /** Peers with a CoAP session at once (default 1024). */
  coapMaxPeers?: number;
  /** The hub's GATEWAY_KEY, so the hub sees each device's own address (else all share the gateway's). */
  gatewayKey?: string;
  /** Per-peer CoAP tunables, e.g. `idleMs`. */
  coap?: Partial<TranslatorConfig>;
  log: Logger;
}

/** A running gateway. */
export interface Gateway {
  mqtt: Listener | null;
  coap: Listener | null;
  counters: Counters;
  /** Stops both sides, ending every session (CoAP peers get 5.03, the hub a Release). */
  close(): Promise<void>;
}

/**
 * Starts the gateway; rejects (closing what did start) when a port cannot be bound.
 *
 * @example
 * const gw = await startGateway({ hub: "http://127.0.0.1:8787", host: "127.0.0.1", mqttPort: 1883, coapPort: 5683, log });
 */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const counters = newCounters();
  const mqttUrl = hubSocketUrl(o.hub, "/mqtt");
  const coapUrl = hubSocketUrl(o.hub, "/.well-known/coap");
  const mqtt = o.mqttPort === null ? null : await startMqttBridge({ host: o.host, port: o.mqttPort, hubUrl: mqttUrl, log: o.log, counters: counters.mqtt, gatewayKey: o.gatewayKey });
  let coap: Listener | null = null;
  try {
    coap =
      o.coapPort === null
        ? null
        : await startCoapGateway({ host: o.host, port: o.coapPort, hubUrl: coapUrl, log: o.log, counters: counters.coap, maxPeers: o.coapMaxPeers, translator: o.coap, gatewayKey: o.gatewayKey });
  } catch (err) {
    await mqtt?.close();
    throw err;
  }
  if (mqtt) o.log.info("gateway.listening", { protocol: "mqtt", transport: "tcp", address: peerName(mqtt.host, mqtt.port), hub: mqttUrl });
  if (coap) o.log.info("gateway.listening", { protocol: "coap", transport: "udp", address: peerName(coap.host, coap.port), hub: coapUrl });
  return {
    mqtt,
    coap,
    counters,
    close: async () => {
      await Promise.all([mqtt?.close(), coap?.close()]);
    },
  };
}
