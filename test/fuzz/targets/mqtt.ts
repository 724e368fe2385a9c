/**
 * MQTT codec (protocols/mqtt) under fuzzing: byte streams fed to `MqttStream` in random chunks,
 * as a server before CONNECT, a server after a 3.1.1 or v5 CONNECT, or a v5 client. Only
 * `MqttProtocolError` may escape; a failed stream must keep refusing; every decoded packet must
 * survive encode → decode. Corpus: fast-check sessions and server packets (codec.arbitraries.ts).
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { MqttStream, encode, type MqttStreamOptions } from "../../../protocols/mqtt/codec";
import { clientPacket, connectPacket, grouped, serverPacket } from "../../../protocols/mqtt/codec.arbitraries";
import { MqttProtocolError } from "../../../protocols/mqtt/errors";
import type { MqttPacket, ProtocolVersion } from "../../../protocols/mqtt/packets";
import { FuzzBug, type FuzzTarget, type Verdict } from "../engine";
import { chunks, rng, type Seed } from "../mutate";

/** Stream contexts an input is fed in; a corpus entry's `mode` is the index. */
export const MQTT_MODES: readonly MqttStreamOptions[] = [
  {}, // server, before CONNECT
  { connected: true, protocolVersion: 4 },
  { connected: true, protocolVersion: 5 },
  { role: "client", protocolVersion: 5 },
  { role: "client", protocolVersion: 4 },
];

/**
 * Feeds `parts` to a fresh stream with `options`. Returns the verdict; throws FuzzBug when
 * anything but MqttProtocolError escapes, a dead stream accepts more, or a packet does not
 * survive re-encoding.
 */
export function feedMqtt(options: MqttStreamOptions, parts: readonly Uint8Array[]): Verdict {
  const stream = new MqttStream(options);
  for (const part of parts) {
    let packets: MqttPacket[];
    try {
      packets = stream.push(part.slice()); // push owns its bytes
    } catch (e) {
      if (!(e instanceof MqttProtocolError)) throw new FuzzBug(`push threw ${e instanceof Error ? e.name : typeof e}, not MqttProtocolError: ${String(e)}`, e);
      try {
        stream.push(Uint8Array.of(0xc0, 0));
      } catch (again) {
        if (again instanceof MqttProtocolError) return "rejected";
        throw new FuzzBug(`a dead stream threw ${String(again)}`, again);
      }
      throw new FuzzBug("a stream that failed accepted more input");
    }
    for (const p of packets) reencode(p, stream.protocolVersion ?? 4, options);
  }
  return "accepted";
}

function reencode(packet: MqttPacket, version: ProtocolVersion, options: MqttStreamOptions): void {
  let bytes: Uint8Array;
  try {
    bytes = encode(packet, version);
  } catch (e) {
    // mqtt-packet writes a subset of what it reads (e.g. no v5 password without user name)
    if (e instanceof MqttProtocolError) return;
    throw new FuzzBug(`encode threw ${String(e)}`, e);
  }
  const again = packet.type === "connect" ? new MqttStream() : new MqttStream({ role: options.role ?? "server", connected: true, protocolVersion: version });
  let decoded: MqttPacket[];
  try {
    decoded = again.push(bytes);
  } catch (e) {
    throw new FuzzBug(`re-encoded ${packet.type} does not decode: ${String(e)}`, e);
  }
  // A PUBLISH keeps its user properties in order [MQTT-3.3.2-18]; other packets go through
  // mqtt-packet, which writes repeated names together, so compare those grouped.
  const expected = packet.type === "publish" ? packet : grouped(packet);
  if (!isDeepStrictEqual(decoded, [expected])) throw new FuzzBug(`${packet.type} changed through encode → decode`);
}

/** Concatenates encoded packets, marking each remaining-length byte and the 2 bytes after it. */
function framed(packets: readonly MqttPacket[], version: ProtocolVersion, mode: number): Seed | undefined {
  const parts: Uint8Array[] = [];
  const lengthAt: number[] = [];
  let at = 0;
  for (const p of packets) {
    let b: Uint8Array;
    try {
      b = encode(p, version);
    } catch {
      return undefined;
    }
    let v = 1;
    while (v < b.length && b[v] & 0x80) v++;
    lengthAt.push(at + 1, at + v + 1, at + v + 2);
    parts.push(b);
    at += b.length;
  }
  const bytes = new Uint8Array(at);
  parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
  return { bytes, lengthAt, mode };
}

/** The fuzz target. */
export const mqttTarget: FuzzTarget = {
  name: "mqtt",
  interesting: [0x10, 0x20, 0x30, 0x32, 0x3d, 0x40, 0x82, 0x90, 0xa2, 0xc0, 0xe0, 0xf0, 0x04, 0x05, 0x4d, 0x51],
  corpus(seed) {
    const out: Seed[] = [];
    const sample = <T>(a: fc.Arbitrary<T>, n: number, s: number) => fc.sample(a, { seed: seed ^ s, numRuns: n });
    for (const v of [4, 5] as const) {
      const session = fc.tuple(connectPacket(v), fc.array(clientPacket(v), { maxLength: 5 }));
      for (const [c, rest] of sample(session, 150, v)) {
        const e = framed([c, ...rest], v, 0);
        if (e) out.push(e);
      }
      for (const ps of sample(fc.array(clientPacket(v), { minLength: 1, maxLength: 4 }), 100, v * 7)) {
        const e = framed(ps, v, v === 4 ? 1 : 2);
        if (e) out.push(e);
      }
      for (const ps of sample(fc.array(serverPacket(v), { minLength: 1, maxLength: 4 }), 100, v * 13)) {
        const e = framed(ps, v, v === 5 ? 3 : 4);
        if (e) out.push(e);
      }
    }
    return out;
  },
  check(input, variant, mode) {
    const r = rng(variant);
    const m = mode ?? variant % MQTT_MODES.length;
    return feedMqtt(MQTT_MODES[m], chunks(input, r, 5));
  },
};
