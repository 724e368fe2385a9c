import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MqttStream, encode, type MqttStreamOptions } from "./codec";
import { chunked, clientPacket, connectPacket, grouped, serverPacket } from "./codec.arbitraries";
import { MqttProtocolError } from "./errors";
import type { MqttPacket, ProtocolVersion } from "./packets";
import { concat, varint } from "./codec.bytes";


/** One edit of a byte string. */
type Mutation =
  | { kind: "set"; at: number; value: number }
  | { kind: "flip"; at: number; bit: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "repeat"; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
);

function mutate(bytes: Uint8Array, edits: Mutation[]): Uint8Array {
  let b = Array.from(bytes);
  for (const m of edits) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case "set":
        b[at] = m.value;
        break;
      case "flip":
        b[at] ^= 1 << m.bit;
        break;
      case "insert":
        b.splice(at, 0, ...m.bytes);
        break;
      case "delete":
        b.splice(at, m.length);
        break;
      case "truncate":
        b = b.slice(0, at);
        break;
      case "repeat":
        b.splice(at, 0, ...b.slice(at, at + m.length));
        break;
    }
  }
  return new Uint8Array(b);
}

/**
 * Push all chunks. The only acceptable failure is MqttProtocolError; after one, the
 * stream must keep refusing. Every decoded packet must survive encode → decode.
 */
function feed(options: MqttStreamOptions, chunks: Uint8Array[]): void {
  const stream = new MqttStream(options);
  const started = Date.now();
  for (const chunk of chunks) {
    let packets: MqttPacket[];
    try {
      packets = stream.push(chunk);
    } catch (e) {
      expect(e).toBeInstanceOf(MqttProtocolError);
      expect(() => stream.push(new Uint8Array([0xc0, 0]))).toThrow(MqttProtocolError);
      return;
    }
    for (const p of packets) reencode(p, stream.protocolVersion ?? 4, options);
  }
  expect(Date.now() - started).toBeLessThan(1000);
}

function reencode(packet: MqttPacket, version: ProtocolVersion, options: MqttStreamOptions): void {
  let bytes: Uint8Array;
  try {
    bytes = encode(packet, version);
  } catch (e) {
    // mqtt-packet writes a subset of what it reads (e.g. no v5 password without user name)
    expect(e).toBeInstanceOf(MqttProtocolError);
    return;
  }
  const role = options.role ?? "server";
  const again = packet.type === "connect" ? new MqttStream() : new MqttStream({ role, connected: true, protocolVersion: version });
  // encode writes repeated user property names together, so compare grouped
  expect(again.push(bytes)).toEqual([grouped(packet)]);
}

const RUNS = { numRuns: 1500 };

/** A valid session opening: CONNECT then some client packets, as bytes. */
function session(version: ProtocolVersion): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(connectPacket(version), fc.array(clientPacket(version), { maxLength: 5 }))
    .map(([c, rest]) => concat([encode(c, version), ...rest.map((p) => encode(p, version))]));
}

describe.each([4, 5] as const)("mutation fuzzing, level %i", (version) => {
  it("mutated sessions only ever fail with MqttProtocolError", () => {
    const v: ProtocolVersion = version;
    fc.assert(
      fc.property(
        session(v)
          .chain((b) => fc.tuple(fc.constant(b), fc.array(mutation, { minLength: 1, maxLength: 4 })))
          .map(([b, edits]) => mutate(b, edits))
          .chain((b) => chunked(b)),
        (chunks) => feed({}, chunks),
      ),
      RUNS,
    );
  });

  it("mutated server packets, decoded as a client, only fail with MqttProtocolError", () => {
    const v: ProtocolVersion = version;
    fc.assert(
      fc.property(
        fc
          .array(serverPacket(v), { minLength: 1, maxLength: 4 })
          .map((ps) => concat(ps.map((p) => encode(p, v))))
          .chain((b) => fc.tuple(fc.constant(b), fc.array(mutation, { minLength: 1, maxLength: 4 })))
          .map(([b, edits]) => mutate(b, edits))
          .chain((b) => chunked(b)),
        (chunks) => feed({ role: "client", protocolVersion: v }, chunks),
      ),
      RUNS,
    );
  });
});

describe("random bytes", () => {
  const garbage = fc.uint8Array({ maxLength: 400 }).chain((b) => chunked(b));
  it.each<[string, MqttStreamOptions]>([
    ["before CONNECT", {}],
    ["after a 3.1.1 CONNECT", { connected: true, protocolVersion: 4 }],
    ["after a v5 CONNECT", { connected: true, protocolVersion: 5 }],
    ["as a v5 client", { role: "client", protocolVersion: 5 }],
  ])("%s", (_name, options) => {
    fc.assert(
      fc.property(garbage, (chunks) => feed(options, chunks)),
      RUNS,
    );
  });

  it("packets with a valid header and random bodies", () => {
    const framed = fc
      .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 200 }))
      .map(([type, flags, body]) => new Uint8Array([(type << 4) | flags, ...varint(body.length), ...body]));
    for (const version of [4, 5] as const) {
      fc.assert(
        fc.property(fc.array(framed, { minLength: 1, maxLength: 4 }), (ps) => feed({ connected: true, protocolVersion: version }, [concat(ps)])),
        RUNS,
      );
    }
  });
});

