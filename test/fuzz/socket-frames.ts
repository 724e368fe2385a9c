/**
 * Frames for the socket-level fuzzer: valid openings and messages for each device protocol of
 * the hub, built with independent encoders (mqtt-packet, the RFC-written CoAP test client, plain
 * JSON), and their mutations. Each attack is a list of WebSocket messages to send in order.
 */
import { generate, type Packet } from "mqtt-packet";
import { Codes, Opts, encodeMessage, uintBytes } from "../clients/coap-ws-client";
import { below, chunks, mutate, type Rng } from "./mutate";

export const ATTACKS = ["mqtt-direct", "mqtt-relay", "coap", "json"] as const;
export type AttackKind = (typeof ATTACKS)[number];

const te = new TextEncoder();
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** MQTT packets a device could send: CONNECT first, then what a real device sends. */
function mqttSeeds(id: string, token: string, version: 4 | 5): { connect: Uint8Array; rest: Uint8Array[] } {
  const p = (packet: Packet) => bytes(generate(packet, { protocolVersion: version }));
  const connect = p({ cmd: "connect", protocolId: "MQTT", protocolVersion: version, clientId: id, clean: true, keepalive: 30, username: id, password: Buffer.from(token) });
  const payload = Buffer.from(JSON.stringify({ fuzz: 1, t: 21.5 }));
  const rest = [
    p({ cmd: "publish", topic: `devices/${id}/telemetry`, payload, qos: 0, retain: false, dup: false }),
    p({ cmd: "publish", topic: `devices/${id}/telemetry`, payload, qos: 1, messageId: 7, retain: false, dup: false }),
    p({ cmd: "publish", topic: `devices/${id}/telemetry/temp`, payload: Buffer.from("21.5"), qos: 2, messageId: 8, retain: false, dup: false }),
    p({ cmd: "publish", topic: `$aws/things/${id}/shadow/update`, payload: Buffer.from('{"state":{"reported":{"f":1}}}'), qos: 1, messageId: 9, retain: false, dup: false }),
    p({ cmd: "subscribe", messageId: 10, subscriptions: [{ topic: `devices/${id}/commands/#`, qos: 1 }, { topic: `$aws/things/${id}/shadow/update/delta`, qos: 0 }] }),
    p({ cmd: "unsubscribe", messageId: 11, unsubscriptions: [`devices/${id}/commands/#`] }),
    p({ cmd: "pubrel", messageId: 8 }),
    p({ cmd: "puback", messageId: 1 }),
    p({ cmd: "pingreq" }),
  ];
  return { connect, rest };
}

/** CoAP messages a device could send after its CSM: the authenticating request first. */
function coapSeeds(token: string): { csm: Uint8Array; auth: Uint8Array; rest: Uint8Array[] } {
  const empty: Uint8Array = new Uint8Array();
  const path = (...segs: string[]) => segs.map((s) => ({ number: Opts.URI_PATH, value: te.encode(s) }));
  const m = (code: number, options: { number: number; value: Uint8Array }[], payload: Uint8Array = empty, token: Uint8Array = Uint8Array.of(1, 2)) => encodeMessage({ code, token, options, payload });
  return {
    csm: m(Codes.CSM, [{ number: 2, value: uintBytes(1152) }, { number: 4, value: empty }], empty, empty),
    auth: m(Codes.GET, [...path("shadow"), { number: Opts.URI_QUERY, value: te.encode(`auth=${token}`) }]),
    rest: [
      m(Codes.POST, [...path("telemetry"), { number: Opts.CONTENT_FORMAT, value: uintBytes(50) }], te.encode('{"data":{"fuzz":1}}')),
      m(Codes.POST, [...path("shadow"), { number: Opts.CONTENT_FORMAT, value: uintBytes(50) }], te.encode('{"state":{"reported":{"f":2}}}')),
      m(Codes.GET, [...path("shadow", "delta"), { number: Opts.OBSERVE, value: empty }]),
      m(Codes.POST, [...path("telemetry"), { number: Opts.CONTENT_FORMAT, value: uintBytes(60) }], Uint8Array.of(0xa1, 0x64, 0x64, 0x61, 0x74, 0x61, 0xa1, 0x61, 0x74, 0x01)),
      m(Codes.POST, [...path("shadow"), { number: Opts.BLOCK1, value: uintBytes(0x0a) }], te.encode('{"state":')),
      m(Codes.PING, [], empty, Uint8Array.of(9)),
      m(Codes.DELETE, path("shadow", "wifi")),
    ],
  };
}

const JSON_SEEDS = [
  '{"type":"telemetry","data":{"fuzz":1}}',
  '{"type":"shadow.update","state":{"reported":{"f":3}},"clientToken":"x"}',
  '{"type":"shadow.get"}',
  '{"type":"shadow.delete","shadow":"wifi","version":1}',
  '{"type":"ping","id":1}',
].map((s) => te.encode(s));

/** Usually a valid message, else a mutation of one (spliced with another). */
function some(r: Rng, seeds: readonly Uint8Array[]): Uint8Array {
  const src = seeds[below(r, seeds.length)];
  return r() < 0.3 ? src : mutate(src, r, { other: seeds[below(r, seeds.length)] });
}

/** The WebSocket messages of one attack session (text frames for JSON when `asText`). */
export function attackFrames(kind: AttackKind, id: string, token: string, r: Rng, maxFrames: number): { frames: Uint8Array[]; asText: boolean } {
  const n = 1 + below(r, maxFrames);
  if (kind === "json") {
    return { frames: Array.from({ length: n }, () => some(r, JSON_SEEDS)), asText: r() < 0.5 };
  }
  if (kind === "coap") {
    const s = coapSeeds(token);
    const frames = [r() < 0.9 ? s.csm : mutate(s.csm, r), r() < 0.8 ? s.auth : mutate(s.auth, r)];
    for (let i = 0; i < n; i++) frames.push(some(r, s.rest));
    return { frames, asText: false };
  }
  // MQTT is a byte stream: packets go out cut at random points, as MQTT.js does.
  const s = mqttSeeds(id, token, r() < 0.5 ? 4 : 5);
  const packets = [r() < 0.85 ? s.connect : mutate(s.connect, r)];
  for (let i = 0; i < n; i++) packets.push(some(r, s.rest));
  return { frames: packets.flatMap((p) => chunks(p, r, 3)).filter((f) => f.length > 0), asText: false };
}
