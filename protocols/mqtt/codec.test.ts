import { parser as rawParser } from "mqtt-packet";
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAXIMUM_PACKET_SIZE, MqttStream, encode, type MqttStreamOptions } from "./codec";
import { MqttProtocolError } from "./errors";
import type { MqttPacket, ProtocolVersion } from "./packets";
import { varint } from "./codec.bytes";

/** UTF-8 string with its two-byte length. */
const str = (s: string): number[] => {
  const b = [...new TextEncoder().encode(s)];
  return [b.length >> 8, b.length & 0xff, ...b];
};
/** Raw string bytes with a length prefix (for invalid UTF-8). */
const raw = (...b: number[]): number[] => [b.length >> 8, b.length & 0xff, ...b];
/** A packet: first byte, remaining length, body. */
const pkt = (first: number, ...body: number[][]): number[] => {
  const b = body.flat();
  return [first, ...varint(b.length), ...b];
};
/** v5 property block. */
const props = (...p: number[][]): number[] => {
  const b = p.flat();
  return [...varint(b.length), ...b];
};
const connect4 = (flags: number, ...rest: number[][]) => pkt(0x10, str("MQTT"), [4, flags, 0, 60], ...rest);
const connect5 = (flags: number, properties: number[], ...rest: number[][]) => pkt(0x10, str("MQTT"), [5, flags, 0, 60], properties, ...rest);

type Setup = "fresh" | ProtocolVersion;

/** Does mqtt-packet alone (no Umbra checks) emit a packet for these bytes? */
function mqttPacketAccepts(bytes: number[], setup: Setup): boolean {
  const p = rawParser(setup === "fresh" ? {} : { protocolVersion: setup });
  let packets = 0;
  let errors = 0;
  p.on("packet", () => packets++);
  p.on("error", () => errors++);
  try {
    p.parse(Buffer.from(bytes));
  } catch {
    errors++;
  }
  return packets > 0 && errors === 0;
}

function streamFor(setup: Setup, options: MqttStreamOptions = {}): MqttStream {
  return setup === "fresh" ? new MqttStream(options) : new MqttStream({ connected: true, protocolVersion: setup, ...options });
}

function reject(bytes: number[], setup: Setup): MqttProtocolError {
  try {
    streamFor(setup).push(new Uint8Array(bytes));
  } catch (e) {
    if (e instanceof MqttProtocolError) return e;
    throw e;
  }
  throw new Error("accepted");
}

// [name, bytes, setup, reason code we answer, does mqtt-packet alone accept it?]
const REJECTED: [string, number[], Setup, number, boolean][] = [
  ["first packet PUBLISH [MQTT-3.1.0-1]", pkt(0x30, str("a")), "fresh", 0x82, true],
  ["first packet PINGREQ [MQTT-3.1.0-1]", pkt(0xc0), "fresh", 0x82, true],
  ["second CONNECT [MQTT-3.1.0-2]", connect4(0x02, str("c")), 4, 0x82, true],
  ["protocol level 6 [MQTT-3.1.2-2]", pkt(0x10, str("MQTT"), [6, 2, 0, 60], str("c")), "fresh", 0x84, false],
  ["bridge-mode level 0x84", pkt(0x10, str("MQTT"), [0x84, 2, 0, 60], str("c")), "fresh", 0x84, true],
  ["protocol name MQTX [MQTT-3.1.2-1]", pkt(0x10, str("MQTX"), [4, 2, 0, 60], str("c")), "fresh", 0x81, false],
  ["name MQIsdp with level 4", pkt(0x10, str("MQIsdp"), [4, 2, 0, 60], str("c")), "fresh", 0x84, true],
  ["CONNECT reserved flag [MQTT-3.1.2-3]", connect4(0x03, str("c")), "fresh", 0x81, false],
  ["will QoS 3 [MQTT-3.1.2-12]", connect4(0x1e, str("c"), str("w"), raw()), "fresh", 0x81, true],
  ["will topic with wildcard", connect4(0x0e, str("c"), str("w/#"), raw()), "fresh", 0x90, true],
  ["3.1.1 password without user name [MQTT-3.1.2-22]", connect4(0x42, str("c"), raw(1)), "fresh", 0x81, true],
  ["CONNECT with trailing bytes", connect4(0x02, str("c"), [9, 9]), "fresh", 0x81, true],
  ["client id not UTF-8 [MQTT-1.5.4-1]", connect4(0x02, raw(0xc3, 0x28)), "fresh", 0x81, true],
  ["client id with U+0000 [MQTT-1.5.4-2]", connect4(0x02, raw(0x61, 0x00)), "fresh", 0x81, true],
  ["v5 Receive Maximum 0", connect5(0x02, props([0x21, 0, 0]), str("c")), "fresh", 0x82, true],
  ["v5 Topic Alias in CONNECT (not allowed there)", connect5(0x02, props([0x23, 0, 1]), str("c")), "fresh", 0x81, true],
  ["v5 Session Expiry twice", connect5(0x02, props([0x11, 0, 0, 0, 1], [0x11, 0, 0, 0, 2]), str("c")), "fresh", 0x82, true],
  ["v5 Request Problem Information = 2", connect5(0x02, props([0x17, 2]), str("c")), "fresh", 0x82, true],
  ["PUBLISH QoS 1 packet id 0 [MQTT-2.3.1-1]", pkt(0x32, str("a"), [0, 0]), 4, 0x82, true],
  ["PUBLISH topic with + [MQTT-3.3.2-2]", pkt(0x30, str("a/+")), 4, 0x90, true],
  ["PUBLISH topic with # [MQTT-3.3.2-2]", pkt(0x30, str("#")), 4, 0x90, true],
  ["PUBLISH empty topic in 3.1.1 [MQTT-4.7.3-1]", pkt(0x30, str("")), 4, 0x90, true],
  ["PUBLISH QoS 0 with DUP [MQTT-3.3.1-2]", pkt(0x38, str("a")), 4, 0x81, true],
  ["PUBLISH QoS 3 [MQTT-3.3.1-4]", pkt(0x36, str("a"), [0, 1]), 4, 0x81, false],
  ["topic not UTF-8 [MQTT-1.5.4-1]", pkt(0x30, raw(0xff)), 4, 0x81, true],
  ["topic with a UTF-16 surrogate encoded [MQTT-1.5.4-1]", pkt(0x30, raw(0xed, 0xa0, 0x80)), 4, 0x81, true],
  ["topic overlong encoding [MQTT-1.5.4-1]", pkt(0x30, raw(0xc0, 0xaf)), 4, 0x81, true],
  ["topic with U+0000 [MQTT-1.5.4-2] (3.1.1: [MQTT-1.5.3-2])", pkt(0x30, raw(0x61, 0x00)), 4, 0x81, true],
  ["SUBSCRIBE without filters [MQTT-3.8.3-3]", pkt(0x82, [0, 1]), 4, 0x82, true],
  ["SUBSCRIBE packet id 0 [MQTT-2.3.1-1]", pkt(0x82, [0, 0], str("a"), [0]), 4, 0x82, true],
  ["SUBSCRIBE reserved header bits [MQTT-3.8.1-1]", pkt(0x80, [0, 1], str("a"), [0]), 4, 0x81, false],
  ["SUBSCRIBE option bits in 3.1.1 [MQTT-3.8.3-4]", pkt(0x82, [0, 1], str("a"), [4]), 4, 0x81, false],
  ["SUBSCRIBE requested QoS 3", pkt(0x82, [0, 1], str("a"), [3]), 4, 0x81, false],
  ["v5 SUBSCRIBE No Local on a shared subscription [MQTT-3.8.3-4]", pkt(0x82, [0, 1], [0], str("$share/g/a"), [4]), 5, 0x82, true],
  ["UNSUBSCRIBE without filters [MQTT-3.10.3-2]", pkt(0xa2, [0, 1]), 4, 0x82, true],
  ["PUBREL with flags 0 [MQTT-3.6.1-1]", pkt(0x60, [0, 1]), 4, 0x81, false],
  ["PINGREQ with a body byte", pkt(0xc0, [0]), 4, 0x81, true],
  ["3.1.1 PUBACK of 3 bytes", pkt(0x40, [0, 1, 0]), 4, 0x81, true],
  ["PUBACK packet id 0 [MQTT-2.3.1-1]", pkt(0x40, [0, 0]), 4, 0x82, true],
  ["packet type 0 (reserved)", pkt(0x00), 4, 0x81, false],
  ["AUTH in 3.1.1", pkt(0xf0, [0], props()), 4, 0x81, false],
  ["CONNACK from a client", pkt(0x20, [0, 0]), 4, 0x82, true],
  ["SUBACK from a client", pkt(0x90, [0, 1, 0]), 4, 0x82, true],
  ["PINGRESP from a client", pkt(0xd0), 4, 0x82, true],
  ["remaining length of 5 bytes", [0x30, 0xff, 0xff, 0xff, 0xff, 0x7f], 4, 0x81, false],
  ["v5 property overruns its length", pkt(0x30, str("a"), [1, 0x03], str("ab")), 5, 0x81, true],
  ["v5 property block longer than the packet", pkt(0x30, str("a"), [9, 0x01, 1]), 5, 0x81, false],
  ["v5 truncated string property", pkt(0x30, str("a"), [3, 0x03, 0, 5]), 5, 0x81, true],
  ["v5 Subscription Identifier from a client [MQTT-3.3.4-6]", pkt(0x30, str("a"), props([0x0b, 1])), 5, 0x82, true],
  ["v5 Topic Alias 0 [MQTT-3.3.2-8]", pkt(0x30, str("a"), props([0x23, 0, 0])), 5, 0x94, true],
  ["v5 Payload Format Indicator 2", pkt(0x30, str("a"), props([0x01, 2])), 5, 0x82, true],
  ["v5 Response Topic with wildcard [MQTT-3.3.2-14]", pkt(0x30, str("a"), props([0x08], str("r/+"))), 5, 0x82, true],
  // §3.3.2.1 calls this a Protocol Error (0x82), not an invalid name (an outside run with paho)
  ["v5 empty topic without alias", pkt(0x30, str(""), props()), 5, 0x82, true],
  ["v5 PUBLISH without property length", pkt(0x30, str("a")), 5, 0x81, true],
  ["v5 empty Reason String twice", pkt(0x40, [0, 1, 0], props([0x1f, 0, 0], [0x1f, 0, 0])), 5, 0x82, true],
  ["v5 DISCONNECT with trailing byte", pkt(0xe0, [0], props(), [5]), 5, 0x81, true],
  ["v5 non-minimal remaining length [MQTT-1.5.5-1]", [0xc0, 0x80, 0x00], 5, 0x81, true],
  ["v5 non-minimal property length [MQTT-1.5.5-1]", pkt(0x30, str("a"), [0x80, 0x00]), 5, 0x81, true],
  ["v5 SUBSCRIBE Subscription Identifier 0", pkt(0x82, [0, 1], props([0x0b, 0]), str("a"), [0]), 5, 0x82, true],
  ["v5 user property name not UTF-8", pkt(0x30, str("a"), props([0x26], raw(0xff), str("v"))), 5, 0x81, true],
  ["v5 PUBACK reason code 0x01", pkt(0x40, [0, 1, 0x01]), 5, 0x81, false],
  ["v5 unknown property 0x7f", pkt(0x30, str("a"), props([0x7f, 0])), 5, 0x81, false],
];

describe("bytes the codec rejects (and whether mqtt-packet alone would)", () => {
  it.each(REJECTED)("%s", (_name, bytes, setup, reasonCode, accepted) => {
    expect(mqttPacketAccepts(bytes, setup)).toBe(accepted);
    const error = reject(bytes, setup);
    expect(error.reasonCode).toBe(reasonCode);
  });
});

describe("bytes the codec accepts", () => {
  const decode = (bytes: number[], setup: Setup): MqttPacket[] => streamFor(setup).push(new Uint8Array(bytes));

  it("keeps a BOM at the start of a topic [MQTT-1.5.4-3]", () => {
    const [p] = decode(pkt(0x30, raw(0xef, 0xbb, 0xbf, 0x61)), 4);
    expect(p).toMatchObject({ type: "publish", topic: "\ufeffa" });
  });
  it("reads a v5 DISCONNECT with no reason code or properties", () => {
    expect(decode(pkt(0xe0), 5)).toEqual([{ type: "disconnect", reasonCode: 0 }]);
  });
  it("reads a v5 PUBACK of two bytes as success", () => {
    expect(decode(pkt(0x40, [0, 7]), 5)).toEqual([{ type: "puback", packetId: 7, reasonCode: 0 }]);
  });
  it("reads an MQTT 3.1 CONNECT and learns level 3", () => {
    const stream = new MqttStream();
    expect(stream.push(new Uint8Array(pkt(0x10, str("MQIsdp"), [3, 2, 0, 10], str("c"))))[0]).toMatchObject({ protocolId: "MQIsdp", protocolVersion: 3 });
    expect(stream.protocolVersion).toBe(3);
  });
  it("keeps user properties in wire order, repeated names included", () => {
    const [p] = decode(pkt(0x30, str("a"), props([0x26], str("b"), str("1"), [0x26], str("a"), str("2"), [0x26], str("b"), str("3"))), 5);
    expect(p).toMatchObject({ properties: { userProperties: [["b", "1"], ["a", "2"], ["b", "3"]] } });
  });
  it("treats a user property named __proto__ as data", () => {
    const [p] = decode(pkt(0x30, str("a"), props([0x26], str("__proto__"), str("x"))), 5);
    expect(p).toMatchObject({ properties: { userProperties: [["__proto__", "x"]] } });
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});

describe("stream behaviour", () => {
  it("refuses an oversized packet from its header alone (0x95)", () => {
    const stream = new MqttStream({ connected: true, protocolVersion: 5, maximumPacketSize: 100 });
    const error = (() => {
      try {
        stream.push(new Uint8Array([0x30, ...varint(200)]));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MqttProtocolError);
    expect((error as MqttProtocolError).reasonCode).toBe(0x95);
  });
  it("defaults to a 256 KiB limit", () => {
    const stream = new MqttStream({ connected: true, protocolVersion: 4 });
    const ok = encode({ type: "publish", topic: "t", payload: new Uint8Array(DEFAULT_MAXIMUM_PACKET_SIZE - 8), qos: 0, retain: false, dup: false }, 4);
    expect(ok.length).toBeLessThanOrEqual(DEFAULT_MAXIMUM_PACKET_SIZE);
    expect(stream.push(ok)).toHaveLength(1);
    const big = encode({ type: "publish", topic: "t", payload: new Uint8Array(DEFAULT_MAXIMUM_PACKET_SIZE), qos: 0, retain: false, dup: false }, 4);
    expect(() => stream.push(big)).toThrow(MqttProtocolError);
  });
  it("reports packets decoded before the bad bytes, then stays failed", () => {
    const stream = new MqttStream({ connected: true, protocolVersion: 4 });
    const bytes = [...pkt(0xc0), ...pkt(0x30, str("a/#"))];
    let error: MqttProtocolError | undefined;
    try {
      stream.push(new Uint8Array(bytes));
    } catch (e) {
      error = e as MqttProtocolError;
    }
    expect(error?.packets).toEqual([{ type: "pingreq" }]);
    expect(error?.protocolVersion).toBe(4);
    expect(() => stream.push(new Uint8Array(pkt(0xc0)))).toThrow(error);
  });
  it("learns v5 from a CONNECT that then fails, so the CONNACK can be v5", () => {
    const error = reject(connect5(0x02, props([0x21, 0, 0]), str("c")), "fresh");
    expect(error.protocolVersion).toBe(5);
  });
  it("waits for more bytes without consuming a partial header", () => {
    const stream = new MqttStream({ connected: true, protocolVersion: 4 });
    expect(stream.push(new Uint8Array([0x30]))).toEqual([]);
    expect(stream.push(new Uint8Array([0x83]))).toEqual([]);
    expect(stream.buffered).toBe(2);
    const body = [...str("t"), ...new Array(128 + 3 - 3).fill(7)];
    expect(stream.push(new Uint8Array([0x01, ...body]))).toHaveLength(1);
    expect(stream.buffered).toBe(0);
  });
  it("encodes in the learned version (3.1.1 before CONNECT)", () => {
    const stream = new MqttStream();
    expect([...stream.encode({ type: "connack", sessionPresent: false, reasonCode: 1 })]).toEqual([0x20, 2, 0, 1]);
    stream.push(encode({ type: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "c", clean: true, keepAlive: 0 }, 5));
    expect([...stream.encode({ type: "connack", sessionPresent: false, reasonCode: 0 })]).toEqual([0x20, 3, 0, 0, 0]);
  });
  it("encode refuses what mqtt-packet cannot write with MqttProtocolError", () => {
    expect(() => encode({ type: "suback", packetId: 1, reasonCodes: [] }, 4)).toThrow(MqttProtocolError);
  });
  it("drops v5-only fields when encoding for 3.1.1", () => {
    const bytes = encode({ type: "puback", packetId: 1, reasonCode: 0x87, properties: { reasonString: "no" } }, 4);
    expect([...bytes]).toEqual([0x40, 2, 0, 1]);
  });
});

describe("fields with a 2-byte length", () => {
  const connect = (willPayload: number): MqttPacket => ({
    type: "connect",
    protocolId: "MQTT",
    protocolVersion: 5,
    clientId: "c",
    clean: true,
    keepAlive: 0,
    will: { topic: "t", payload: new Uint8Array(willPayload), qos: 0, retain: false },
  });

  it("refuses to encode one past 65,535 bytes (mqtt-packet wrote its length modulo 65,536: a broken 42-byte CONNECT)", () => {
    expect(() => encode(connect(65_536), 5)).toThrow(/will payload is longer than the 65,535 bytes/);
    expect(() => encode({ type: "subscribe", packetId: 1, subscriptions: [{ filter: "f".repeat(65_536), qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }, 5)).toThrow(MqttProtocolError);
    expect(() => encode({ type: "publish", topic: "t".repeat(65_536), payload: new Uint8Array(), qos: 0, retain: false, dup: false }, 4)).toThrow(/topic/);
  });

  it("encodes one of exactly 65,535 bytes, which reads back whole", () => {
    const bytes = encode(connect(65_535), 5);
    const [back] = new MqttStream({ role: "server", maximumPacketSize: 1 << 20 }).push(bytes);
    expect(back?.type === "connect" && back.will?.payload.length).toBe(65_535);
  });
});
