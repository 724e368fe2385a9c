/**
 * The hand-written fast path (codec-fast.ts) against the general codec (mqtt-packet,
 * hardened): whatever the fast decoder answers, the general one answers the same; whatever
 * the fast encoder writes, the general decoder reads back as the packet. Inputs are valid
 * packets and their byte mutations (where the fast path must step aside, never disagree).
 */
import fc from "fast-check";
import { generate } from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { fastDecode, fastEncode } from "./codec-fast";
import { fromRaw } from "./codec-from";
import { createPacketParser } from "./codec-parser";
import { toRaw } from "./codec-to";
import { clientPacket, serverPacket } from "./codec.arbitraries";
import type { MqttPacket, ProtocolVersion, PublishPacket } from "./packets";

const RUNS = { numRuns: 2000 };

function generalEncode(packet: MqttPacket, version: ProtocolVersion): Uint8Array {
  const b = generate(toRaw(packet, version), { protocolVersion: version });
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The general decoder's answer, or the error it raised. */
function generalDecode(bytes: Uint8Array, version: ProtocolVersion): MqttPacket | Error {
  try {
    return fromRaw(createPacketParser(version).parse(bytes), version);
  } catch (e) {
    return e as Error;
  }
}

/** A packet as the general codec sees it after a round trip (payload views compared by content). */
const plain = (p: MqttPacket | Error | undefined) => (p && "payload" in p ? { ...p, payload: [...p.payload] } : p);

const mutated = (version: ProtocolVersion) =>
  fc.tuple(fc.oneof(clientPacket(version), serverPacket(version)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat(8)).map(([p, flips, cut]) => {
    const bytes = generalEncode(p, version).slice();
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    // Keep the remaining length honest for a single-byte length, as the framer would deliver it.
    const whole = bytes.subarray(0, Math.max(2, bytes.length - (cut % 2 === 0 ? 0 : cut)));
    if (whole[1] < 128) whole[1] = whole.length - 2;
    return whole;
  });

describe.each([3, 4, 5] as const)("fast path, protocol level %i", (version) => {
  it("decodes valid packets exactly as the general codec", () => {
    fc.assert(
      fc.property(fc.oneof(clientPacket(version), serverPacket(version)), (packet) => {
        const bytes = generalEncode(packet, version);
        const fast = fastDecode(bytes, version);
        if (fast) expect(plain(fast)).toEqual(plain(generalDecode(bytes, version)));
        // Publishes without properties and plain acks always take the fast path.
        if ((packet.type === "publish" && !packet.properties) || (packet.type === "puback" && !packet.properties && !packet.reasonCode)) {
          expect(fast).toBeDefined();
        }
      }),
      RUNS,
    );
  });

  it("never disagrees on mutated bytes: same packet, or steps aside", () => {
    fc.assert(
      fc.property(mutated(version), (bytes) => {
        const fast = fastDecode(bytes, version);
        if (fast) expect(plain(fast)).toEqual(plain(generalDecode(bytes, version)));
      }),
      RUNS,
    );
  });

  it("steps aside when the remaining length is not the rest of the bytes (found by the property in CI)", () => {
    // Remaining length 11,648 in three bytes, ten bytes after it; the general codec: incomplete packet.
    const bytes = Uint8Array.from([56, 128, 219, 0, 0, 7, 43, 47, 97, 47, 43, 47, 43]);
    expect(fastDecode(bytes, version)).toBeUndefined();
    expect(generalDecode(bytes, version)).toBeInstanceOf(Error);
  });

  it("encodes what the general decoder reads back as the same packet", () => {
    fc.assert(
      fc.property(fc.oneof(clientPacket(version), serverPacket(version)), (packet) => {
        const fast = fastEncode(packet, version);
        if (!fast) return;
        expect(plain(generalDecode(fast, version))).toEqual(plain(generalDecode(generalEncode(packet, version), version)));
      }),
      RUNS,
    );
  });
});

describe("PUBLISH properties, written by hand", () => {
  const anyPairs = fc.array(fc.tuple(fc.constantFrom("k", "j", "7", "0", "__proto__", "ü", ""), fc.string({ maxLength: 4 })), { maxLength: 6 });
  const publishes = clientPacket(5).filter((p): p is PublishPacket => p.type === "publish");

  it("keep User Properties in their order, names repeated, interleaved or numeric [MQTT-3.3.2-18]", () => {
    fc.assert(
      fc.property(publishes, anyPairs, (packet, userProperties) => {
        const withPairs: PublishPacket = { ...packet, properties: { ...packet.properties, userProperties } };
        const back = generalDecode(fastEncode(withPairs, 5)!, 5) as PublishPacket;
        expect(back.properties?.userProperties ?? []).toEqual(userProperties);
      }),
      RUNS,
    );
  });

  it("read back as every other property the general encoder writes", () => {
    fc.assert(
      fc.property(publishes, (packet) => {
        const fast = fastEncode(packet, 5);
        expect(fast).toBeDefined();
        expect(plain(generalDecode(fast!, 5))).toEqual(plain(generalDecode(generalEncode(packet, 5), 5)));
      }),
      RUNS,
    );
  });

  it("step aside for a value out of range, so the general encoder names the error", () => {
    const p: PublishPacket = { type: "publish", topic: "t", payload: new Uint8Array(), qos: 0, retain: false, dup: false };
    expect(fastEncode({ ...p, properties: { subscriptionIdentifiers: [0] } }, 5)).toBeUndefined();
    expect(fastEncode({ ...p, properties: { messageExpiryInterval: 2 ** 32 } }, 5)).toBeUndefined();
    expect(fastEncode({ ...p, properties: { topicAlias: 0 } }, 5)).toBeUndefined();
    expect(fastEncode({ ...p, properties: { userProperties: [["k", "x".repeat(65536)]] } }, 5)).toBeUndefined();
    expect([...fastEncode({ ...p, properties: { userProperties: [["a", "1"], ["b", "2"], ["a", "3"]] } }, 5)!]).toEqual([
      0x30, 25, 0, 1, 0x74, 21, 0x26, 0, 1, 0x61, 0, 1, 0x31, 0x26, 0, 1, 0x62, 0, 1, 0x32, 0x26, 0, 1, 0x61, 0, 1, 0x33,
    ]);
  });
});

describe("fast path edges", () => {
  it("steps aside for QoS 3, U+0000 in a topic, malformed UTF-8 and v5 properties", () => {
    expect(fastDecode(Uint8Array.of(0x36, 4, 0, 1, 0x61, 0), 4)).toBeUndefined();
    expect(fastDecode(Uint8Array.of(0x30, 3, 0, 1, 0), 4)).toBeUndefined();
    expect(fastDecode(Uint8Array.of(0x30, 3, 0, 1, 0xff), 4)).toBeUndefined();
    expect(fastDecode(Uint8Array.of(0x30, 5, 0, 1, 0x61, 2, 0x01), 5)).toBeUndefined();
  });

  it("writes v5 acks with a reason code in five bytes and without one in four", () => {
    expect([...fastEncode({ type: "puback", packetId: 258, reasonCode: 0x10 }, 5)!]).toEqual([0x40, 3, 1, 2, 0x10]);
    expect([...fastEncode({ type: "pubrel", packetId: 1, reasonCode: 0 }, 5)!]).toEqual([0x62, 2, 0, 1]);
  });
});
