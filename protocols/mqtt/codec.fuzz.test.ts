/**
 * Fuzzing the MQTT codec: fast-check sessions and server packets mutated by the shared mutator
 * (test/fuzz/mutate.ts), random bytes, and a short pass of the shared target that `npm run fuzz`
 * runs a million times. Only MqttProtocolError may escape; see `feedMqtt` for the invariants.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode, type MqttStreamOptions } from "./codec";
import { chunked, clientPacket, connectPacket, serverPacket } from "./codec.arbitraries";
import type { ProtocolVersion } from "./packets";
import { concat, varint } from "./codec.bytes";
import { describeFailures, fuzz } from "../../test/fuzz/engine";
import { mutate, rng } from "../../test/fuzz/mutate";
import { feedMqtt, mqttTarget } from "../../test/fuzz/targets/mqtt";

/** `bytes` mutated from a seed (replayable: the seed is the counterexample). */
const mutated = (bytes: fc.Arbitrary<Uint8Array>) => fc.tuple(bytes, fc.integer()).map(([b, seed]) => mutate(b, rng(seed)));

/** Feeds chunks; fails the property on anything but MqttProtocolError or a broken invariant. */
const feed = (options: MqttStreamOptions, chunks: Uint8Array[]) => void feedMqtt(options, chunks);

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
        mutated(session(v)).chain((b) => chunked(b)),
        (chunks) => feed({}, chunks),
      ),
      RUNS,
    );
  });

  it("mutated server packets, decoded as a client, only fail with MqttProtocolError", () => {
    const v: ProtocolVersion = version;
    fc.assert(
      fc.property(
        mutated(fc.array(serverPacket(v), { minLength: 1, maxLength: 4 }).map((ps) => concat(ps.map((p) => encode(p, v)))))
          .chain((b) => chunked(b)),
        (chunks) => feed({ role: "client", protocolVersion: v }, chunks),
      ),
      RUNS,
    );
  });
});

describe("pinned counterexamples", () => {
  it("a v5 PUBLISH whose user properties interleave a name survives re-encoding in order (seed 428505878)", () => {
    // The target compared every packet with its user properties grouped, as mqtt-packet writes
    // them; PUBLISH now keeps their order [MQTT-3.3.2-18], and the grouped copy differed.
    const bytes = Uint8Array.from([
      48, 58, 0, 1, 1, 54, 8, 0, 1, 1, 9, 0, 0, 11, 1, 35, 0, 1, 38, 0, 9, 95, 95, 112, 114, 111, 116, 111, 95, 95, 0, 0, 38, 0, 9, 94, 95, 112, 114, 111, 116, 111, 95, 95,
      0, 0, 38, 0, 9, 95, 95, 112, 114, 111, 116, 111, 95, 95, 0, 0, 32, 26, 0, 0, 23, 31, 0, 0, 38, 0, 1, 107, 0, 0, 26, 0, 4, 240, 144, 128, 128, 28, 0, 4, 240, 144, 128, 128,
    ]);
    expect(feedMqtt({ role: "client", protocolVersion: 5 }, [bytes])).toBe("accepted");
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


describe("the shared MQTT fuzz target (short pass of `npm run fuzz -- --codec mqtt`)", () => {
  it("20,000 generated and mutated inputs: only MqttProtocolError, no broken invariant", () => {
    const summary = fuzz(mqttTarget, { seed: 0x4d51, inputs: 20_000 });
    expect(summary.failures, describeFailures(summary)).toEqual([]);
    expect(summary.accepted).toBeGreaterThan(1000);
  });
});
