/** The gateway's counters, printed on SIGINT and every `--stats-interval` seconds. */
import type { Fields } from "./log";

/** Counters of the TCP MQTT side. */
export interface MqttCounters {
  sessions: number;
  active: number;
  /** Connections the hub did not take (WebSocket handshake failed). */
  refused: number;
  bytesUp: number;
  bytesDown: number;
  /** TCP reads relayed as WebSocket messages, and WebSocket messages written to TCP. */
  messagesUp: number;
  messagesDown: number;
}

/** Counters of the UDP CoAP side. */
export interface CoapCounters {
  peers: number;
  active: number;
  /** Datagrams answered 5.03 because `--coap-max-peers` peers were active. */
  refused: number;
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  retransmissions: number;
  framesToHub: number;
  framesFromHub: number;
  hubConnections: number;
  hubFailures: number;
}

/** All counters. */
export interface Counters {
  mqtt: MqttCounters;
  coap: CoapCounters;
}

/** Zeroed counters. */
export function newCounters(): Counters {
  return {
    mqtt: { sessions: 0, active: 0, refused: 0, bytesUp: 0, bytesDown: 0, messagesUp: 0, messagesDown: 0 },
    coap: {
      peers: 0,
      active: 0,
      refused: 0,
      datagramsIn: 0,
      datagramsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      retransmissions: 0,
      framesToHub: 0,
      framesFromHub: 0,
      hubConnections: 0,
      hubFailures: 0,
    },
  };
}

/** Counters as flat log fields: `mqtt.sessions`, `coap.datagramsIn`, … */
export function statsFields(c: Counters): Fields {
  const out: Fields = {};
  const sides: [string, Record<string, number>][] = [["mqtt", { ...c.mqtt }], ["coap", { ...c.coap }]];
  for (const [side, values] of sides) for (const [k, v] of Object.entries(values)) out[`${side}.${k}`] = v;
  return out;
}
