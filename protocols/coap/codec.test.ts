import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CoapMessage } from "./codec";
import { decode, encode, sortOptions } from "./codec";
import { CoapError } from "./errors";

const hex = (s: string) => Uint8Array.from((s.replace(/\s+/g, "").match(/../g) ?? []).map((b) => parseInt(b, 16)));
const ascii = (s: string) => new TextEncoder().encode(s);
const msg = (code: number, token: number[], options: [number, Uint8Array][], payload: Uint8Array = new Uint8Array()): CoapMessage => ({
  code,
  token: Uint8Array.from(token),
  options: options.map(([number, value]) => ({ number, value })),
  payload,
});

// Byte vectors written by hand from RFC 8323 §3.2/§4.4 (Len = 0) and RFC 7252 §3.1.
const vectors: { name: string; bytes: string; message: CoapMessage }[] = [
  { name: "Ping, empty token (§5.4)", bytes: "00 e2", message: msg(0xe2, [], []) },
  {
    name: "CSM Max-Message-Size 1152 + Block-Wise-Transfer (§5.3)",
    bytes: "00 e1 22 0480 20",
    message: msg(0xe1, [], [[2, hex("0480")], [4, hex("")]]),
  },
  {
    name: "GET /shadow, 2-byte token",
    bytes: "02 01 0102 b6 736861646f77",
    message: msg(0x01, [1, 2], [[11, ascii("shadow")]]),
  },
  {
    name: "GET Observe=0 /shadow/delta",
    bytes: "01 01 aa 60 56 736861646f77 05 64656c7461",
    message: msg(0x01, [0xaa], [[6, hex("")], [11, ascii("shadow")], [11, ascii("delta")]]),
  },
  {
    name: "2.05 Content-Format 50 with payload",
    bytes: "00 45 c1 32 ff 7b7d",
    message: msg(0x45, [], [[12, hex("32")]], ascii("{}")),
  },
  { name: "delta 13 extension: Size1=1024", bytes: "00 44 d2 2f 0400", message: msg(0x44, [], [[60, hex("0400")]]) },
  { name: "delta 13 extension max: option 268", bytes: "00 44 d0 ff", message: msg(0x44, [], [[268, hex("")]]) },
  { name: "delta 14 extension: option 269", bytes: "00 44 e0 0000", message: msg(0x44, [], [[269, hex("")]]) },
  { name: "delta 14 extension: option 1000", bytes: "00 44 e0 02db", message: msg(0x44, [], [[1000, hex("")]]) },
  { name: "length 13 extension: 13-byte value", bytes: `00 01 bd 00 ${"61".repeat(13)}`, message: msg(0x01, [], [[11, ascii("a".repeat(13))]]) },
  { name: "length 14 extension: 300-byte value", bytes: `00 01 be 001f ${"62".repeat(300)}`, message: msg(0x01, [], [[11, ascii("b".repeat(300))]]) },
  {
    name: "Abort with Bad-CSM-Option 4 and diagnostic (§5.6)",
    bytes: "00 e5 21 04 ff 78",
    message: msg(0xe5, [], [[2, hex("04")]], ascii("x")),
  },
  { name: "8-byte token", bytes: "08 02 0102030405060708", message: msg(0x02, [1, 2, 3, 4, 5, 6, 7, 8], []) },
  { name: "repeated option, delta 0", bytes: "00 01 b1 61 01 62", message: msg(0x01, [], [[11, ascii("a")], [11, ascii("b")]]) },
];

describe("codec vectors (RFC 8323 §4.4)", () => {
  it.each(vectors)("decodes and re-encodes $name", ({ bytes, message }) => {
    expect(decode(hex(bytes))).toEqual(message);
    expect(encode(message)).toEqual(hex(bytes));
  });

  const bad: [string, string, string][] = [
    ["one byte", "00", "truncated"],
    ["Len nibble not 0", "10 01", "length-nibble"],
    ["TKL 9", "09 01 000000000000000000", "token-length"],
    ["TKL 15", "0f 01", "token-length"],
    ["token past end", "02 01 01", "truncated"],
    ["option delta 15", "00 01 f0", "option-delta-reserved"],
    ["option length 15", "00 01 0f", "option-length-reserved"],
    ["marker without payload", "00 01 ff", "empty-payload"],
    ["marker without payload after options", "00 01 b1 61 ff", "empty-payload"],
    ["missing 1-byte extension", "00 01 d0", "truncated"],
    ["missing 2-byte extension", "00 01 e0 00", "truncated"],
    ["length extension missing", "00 01 0d", "truncated"],
    ["option number above 65535", "00 01 e0 ffff", "option-number-overflow"],
    ["value past end", "00 01 b3 6161", "truncated"],
  ];
  it.each(bad)("rejects %s", (_name, bytes, kind) => {
    const err = (() => {
      try {
        decode(hex(bytes));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CoapError);
    expect((err as CoapError).kind).toBe(kind);
  });

  it("refuses to encode what the format cannot carry", () => {
    expect(() => encode(msg(0x01, [1, 2, 3, 4, 5, 6, 7, 8, 9], []))).toThrow(CoapError);
    expect(() => encode(msg(256, [], []))).toThrow(CoapError);
    expect(() => encode(msg(1, [], [[65536, hex("")]]))).toThrow(CoapError);
  });

  it("sorts options stably when encoding", () => {
    const m = msg(0x01, [], [[15, ascii("b=2")], [11, ascii("x")], [15, ascii("a=1")]]);
    expect(decode(encode(m)).options).toEqual(sortOptions(m.options));
    expect(decode(encode(m)).options.map((o) => new TextDecoder().decode(o.value))).toEqual(["x", "b=2", "a=1"]);
  });
});

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
/** Any message the format can carry, options already in canonical (sorted) order. */
const arbMessage: fc.Arbitrary<CoapMessage> = fc
  .record({
    code: fc.integer({ min: 0, max: 255 }),
    token: bytes(8),
    options: fc.array(
      fc.record({
        number: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 65535 })),
        value: fc.oneof({ weight: 5, arbitrary: bytes(20) }, { weight: 1, arbitrary: bytes(400) }),
      }),
      { maxLength: 8 },
    ),
    payload: bytes(64),
  })
  .map((m) => ({ ...m, options: sortOptions(m.options) }));

function decodesCleanly(input: Uint8Array): void {
  try {
    const m = decode(input);
    // the encoding is canonical: anything that decodes re-encodes to the same bytes
    expect(encode(m)).toEqual(input);
  } catch (e) {
    if (!(e instanceof CoapError)) throw e;
  }
}

describe("codec properties", () => {
  it("round-trips every message", () => {
    fc.assert(fc.property(arbMessage, (m) => {
        expect(decode(encode(m))).toEqual(m);
      }), { numRuns: 1000 });
  });

  it("never throws anything but CoapError on arbitrary bytes", () => {
    fc.assert(fc.property(bytes(64), decodesCleanly), { numRuns: 5000 });
  });

  it("survives mutations of valid messages (flip, insert, delete, truncate)", () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant("delete" as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ op: fc.constant("truncate" as const), at: fc.nat(), byte: fc.constant(0) }),
    );
    fc.assert(
      fc.property(arbMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, mutations) => {
        let b = Array.from(encode(m));
        for (const { op, at, byte } of mutations) {
          const i = b.length === 0 ? 0 : at % b.length;
          if (op === "flip") b[i] = byte;
          else if (op === "insert") b.splice(i, 0, byte);
          else if (op === "delete") b.splice(i, 1);
          else b = b.slice(0, i);
        }
        // A hang would fail the test by its timeout; timing a single decode only measures the machine.
        decodesCleanly(Uint8Array.from(b));
      }),
      { numRuns: 5000 },
    );
  });
});
