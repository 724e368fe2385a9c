/** RFC 7252 datagrams: hand-written vectors, refusals of malformed input, round-trip properties. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CoapMessage } from "../../../protocols/coap";
import { encode } from "../../../protocols/coap";
import type { Datagram } from "./datagram";
import { emptyMessage, parseDatagram, serializeDatagram } from "./datagram";

const hex = (s: string) => Uint8Array.from((s.replace(/\s+/g, "").match(/../g) ?? []).map((b) => parseInt(b, 16)));
const ascii = (s: string) => new TextEncoder().encode(s);
const dg = (type: Datagram["type"], code: number, messageId: number, token: number[], options: [number, Uint8Array][], payload: Uint8Array = new Uint8Array()): Datagram => ({
  type,
  code,
  messageId,
  token: Uint8Array.from(token),
  options: options.map(([number, value]) => ({ number, value })),
  payload,
});

// Written by hand from RFC 7252 §3 (Ver 1, T, TKL | Code | Message ID | Token | Options | 0xFF Payload)
// and the examples of its Appendix A.
const vectors: { name: string; bytes: string; msg: Datagram }[] = [
  { name: "Empty CON: a CoAP ping (§4.3)", bytes: "40 00 1234", msg: emptyMessage("CON", 0x1234) },
  { name: "Empty ACK (§4.2)", bytes: "60 00 7d34", msg: emptyMessage("ACK", 0x7d34) },
  { name: "Empty RST", bytes: "70 00 0001", msg: emptyMessage("RST", 1) },
  {
    name: "CON GET /temperature (Appendix A, Figure 16)",
    bytes: "40 01 7d34 bb 74656d7065726174757265",
    msg: dg("CON", 0x01, 0x7d34, [], [[11, ascii("temperature")]]),
  },
  {
    name: "ACK 2.05 piggybacked, payload (Figure 17)",
    bytes: "60 45 7d34 ff 32322e3320430a",
    msg: dg("ACK", 0x45, 0x7d34, [], [], ascii("22.3 C\n")),
  },
  {
    name: "NON GET with token, Observe 0, Uri-Path shadow/delta, Uri-Query",
    bytes: "51 01 0042 7f 60 56 736861646f77 05 64656c7461 46 617574683d78",
    msg: dg("NON", 0x01, 0x42, [0x7f], [[6, hex("")], [11, ascii("shadow")], [11, ascii("delta")], [15, ascii("auth=x")]]),
  },
  {
    name: "CON POST Content-Format 50, Block1 num 2 M szx 2, Size1 600",
    bytes: "48 02 0001 0102030405060708 c1 32 d1 02 2a d2 14 0258 ff 7b7d",
    msg: dg("CON", 0x02, 1, [1, 2, 3, 4, 5, 6, 7, 8], [[12, hex("32")], [27, hex("2a")], [60, hex("0258")]], ascii("{}")),
  },
];

describe("datagram vectors (RFC 7252 §3)", () => {
  it.each(vectors)("reads and writes $name", ({ bytes, msg }) => {
    expect(parseDatagram(hex(bytes))).toEqual({ ok: true, msg });
    expect(serializeDatagram(msg)).toEqual(hex(bytes));
  });

  const bad: [string, string, boolean][] = [
    // [name, bytes, whether the header is readable so that a CON can be rejected with RST]
    ["shorter than the header", "40 01 00", false],
    ["version 2 (silently ignored, §3)", "80 01 0001", false],
    ["token length 9 is reserved", "49 01 0001 010203040506070809", true],
    ["token length 13 (RFC 8974 extended token) is not ours", "4d 01 0001 00 01020304050607080910111213", true],
    ["token runs past the end", "42 01 0001 01", true],
    ["option delta 15", "40 01 0001 f1 00", true],
    ["option length 15", "40 01 0001 bf 00", true],
    ["option value runs past the end", "40 01 0001 b5 6162", true],
    ["payload marker without payload (§3)", "40 01 0001 ff", true],
    ["Empty message with a token (§4.1)", "41 00 0001 01", true],
    ["Empty message with a payload", "40 00 0001 ff 01", true],
  ];
  it.each(bad)("refuses %s", (_name, bytes, header) => {
    const r = parseDatagram(hex(bytes));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.messageId !== undefined).toBe(header);
  });
});

const option = fc.record({ number: fc.integer({ min: 1, max: 3000 }), value: fc.uint8Array({ maxLength: 300 }) });
const datagram: fc.Arbitrary<Datagram> = fc
  .record({
    type: fc.constantFrom("CON", "NON", "ACK", "RST") as fc.Arbitrary<Datagram["type"]>,
    code: fc.integer({ min: 1, max: 0xff }),
    messageId: fc.integer({ min: 0, max: 0xffff }),
    token: fc.uint8Array({ maxLength: 8 }),
    options: fc.array(option, { maxLength: 8 }),
    payload: fc.uint8Array({ maxLength: 200 }),
  })
  .map((d) => ({ ...d, options: [...d.options].sort((a, b) => a.number - b.number) }));

describe("datagram properties", () => {
  it("reads back what it writes", () => {
    fc.assert(
      fc.property(datagram, (d) => {
        expect(parseDatagram(serializeDatagram(d))).toEqual({ ok: true, msg: d });
      }),
    );
  });

  it("frames options and payload exactly as the project's RFC 8323 codec does (only the header differs)", () => {
    fc.assert(
      fc.property(datagram, (d) => {
        const ws: CoapMessage = { code: d.code, token: d.token, options: d.options, payload: d.payload };
        expect(serializeDatagram(d).subarray(4 + d.token.length)).toEqual(encode(ws).subarray(2 + d.token.length));
      }),
    );
  });

  it("never throws on arbitrary bytes, and whatever it accepts it writes back byte for byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const r = parseDatagram(bytes);
        if (r.ok) expect(serializeDatagram(r.msg)).toEqual(bytes);
      }),
      { numRuns: 3000 },
    );
  });
});
