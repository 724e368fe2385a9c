import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MqttStream, encode } from "./codec";
import { chunked, clientPacket, connectPacket, serverPacket } from "./codec.arbitraries";
import type { MqttPacket, ProtocolVersion } from "./packets";
import { concat } from "./codec.bytes";


/** Encode, cut into random pieces, push them all, return what came out. */
function roundTrip(stream: MqttStream, packets: MqttPacket[], version: ProtocolVersion, cuts: (b: Uint8Array) => Uint8Array[]): MqttPacket[] {
  const bytes = concat(packets.map((p) => encode(p, version)));
  return cuts(bytes).flatMap((chunk) => stream.push(chunk));
}

const RUNS = { numRuns: 300 };

describe.each([3, 4, 5] as const)("round trip, protocol level %i", (version) => {
  it("CONNECT, in random chunks", () => {
    fc.assert(
      fc.property(
        connectPacket(version).chain((c) => fc.tuple(fc.constant(c), chunked(encode(c, version)))),
        ([packet, chunks]) => {
          const stream = new MqttStream();
          const out = chunks.flatMap((c) => stream.push(c));
          expect(out).toEqual([packet]);
          expect(stream.protocolVersion).toBe(version);
          expect(stream.buffered).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it("client packets after CONNECT, several per chunk and split across chunks", () => {
    const v: ProtocolVersion = version;
    fc.assert(
      fc.property(
        fc.array(clientPacket(v), { minLength: 1, maxLength: 6 }).chain((ps) => {
          const bytes = concat(ps.map((p) => encode(p, v)));
          return fc.tuple(fc.constant(ps), chunked(bytes));
        }),
        ([packets, chunks]) => {
          const stream = new MqttStream({ connected: true, protocolVersion: v });
          expect(chunks.flatMap((c) => stream.push(c))).toEqual(packets);
        },
      ),
      RUNS,
    );
  });

  it("server packets, decoded in the client role", () => {
    const v: ProtocolVersion = version;
    fc.assert(
      fc.property(fc.array(serverPacket(v), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 }), (packets, size) => {
        const stream = new MqttStream({ role: "client", protocolVersion: v });
        const out = roundTrip(stream, packets, v, (b) => {
          const parts: Uint8Array[] = [];
          for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
          return parts;
        });
        expect(out).toEqual(packets);
      }),
      RUNS,
    );
  });
});

describe("a CONNECT as MQTT.js sends it, one field per WebSocket message", () => {
  it("reassembles byte by byte and then reads the next packets in one chunk", () => {
    const connect: MqttPacket = { type: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "d1", clean: true, keepAlive: 60, username: "d1", password: new TextEncoder().encode("secret") };
    const stream = new MqttStream();
    const bytes = encode(connect, 5);
    const out: MqttPacket[] = [];
    for (const b of bytes) out.push(...stream.push(new Uint8Array([b])));
    expect(out).toEqual([connect]);
    const next = concat([encode({ type: "pingreq" }, 5), encode({ type: "disconnect", reasonCode: 0 }, 5)]);
    expect(stream.push(next)).toEqual([{ type: "pingreq" }, { type: "disconnect", reasonCode: 0 }]);
  });
});
