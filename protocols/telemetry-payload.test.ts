import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readTelemetry, type PayloadHints } from "./telemetry-payload";
import { decode, encode } from "../wasm/src/node";

const NOW = Date.parse("2026-11-29T10:00:00Z");
const LIMITS = { maxDepth: 32, maxAgeMs: 30 * 86_400_000 };
const te = new TextEncoder();
const bytes = (b: string | Uint8Array) => (typeof b === "string" ? te.encode(b) : b);
const read = (payload: string | Uint8Array, key: string | null, hints: PayloadHints = {}) => readTelemetry(bytes(payload), key, NOW, LIMITS, hints, decode);
const valueOf = (payload: string | Uint8Array, hints: PayloadHints = {}) => read(payload, "k", hints)?.data.k;

describe("a sub-topic's payload", () => {
  it.each([
    ["21.5", 21.5],
    ['"on"', "on"],
    ["true", true],
    ["null", null],
    ['{"a":1}', { a: 1 }],
    // found by an outside run: these are CBOR too (0x61 0x62 = "b", 0x2d = -14, 0x20 = -1) and were stored so
    ["ab", "ab"],
    ["-", "-"],
    ["ON", "ON"],
    ["ok", "ok"],
    ["12abc", "12abc"],
    ["hello world", "hello world"],
    ["température", "température"],
  ])("%j stores %j", (payload, value) => {
    expect(read(payload, "k")).toEqual({ ts: NOW, data: { k: value } });
  });

  it("is CBOR when it is not text: a float, a map, a small integer (a control character), invalid UTF-8", () => {
    expect(valueOf(encode(21.5))).toBe(21.5);
    expect(valueOf(encode({ a: [1, 2] }))).toEqual({ a: [1, 2] });
    expect(valueOf(Uint8Array.of(0x05))).toBe(5);
    expect(valueOf(Uint8Array.of(0xf5))).toBe(true);
    expect(valueOf(Uint8Array.of(0xff, 0xfe))).toBeUndefined(); // neither text nor CBOR: refused
    expect(valueOf(" ")).toBe(-1); // blank is no text: CBOR -1
  });

  it("drops a C string's terminating NUL; other control characters are no text (an outside run's cases)", () => {
    expect(valueOf("ON\0")).toBe("ON");
    expect(valueOf("21.5\0")).toBe(21.5);
    expect(read('{"t":1}\0', null)).toEqual({ ts: NOW, data: { t: 1 } });
    expect(valueOf("a\0b")).toBeUndefined();
    expect(valueOf("OK\u0007")).toBeUndefined();
    expect(valueOf(Uint8Array.of(0x18, 0x2a))).toBe(42); // CBOR 42
  });

  it("is refused when it is JSON in invalid UTF-8 (before: stored with U+FFFD in place of the bad byte)", () => {
    const bad = Uint8Array.of(0x22, 0x61, 0xff, 0x62, 0x22); // "a\xffb"
    expect(read(bad, "k")).toBeNull();
    expect(read(Uint8Array.of(...te.encode('{"t":"a'), 0xff, ...te.encode('b"}')), null)).toBeNull();
  });

  it("follows an MQTT 5 Content Type or Payload Format Indicator over the bytes", () => {
    expect(valueOf(Uint8Array.of(0x2d), { contentType: "application/cbor" })).toBe(-14);
    expect(valueOf("ab", { contentType: "application/cbor; charset=x" })).toBe("b");
    expect(valueOf(encode(1.5), { contentType: "application/senml+cbor" })).toBe(1.5);
    expect(valueOf("ON", { contentType: "application/json" })).toBeUndefined();
    expect(valueOf("21", { contentType: "text/plain" })).toBe(21);
    expect(valueOf("ON", { contentType: "Text/Plain" })).toBe("ON");
    expect(valueOf("ON", { payloadFormatIndicator: true })).toBe("ON");
  });

  it("keeps a {data, ts}-shaped object as the key's value (the envelope is the whole-object topic's)", () => {
    // found by an outside run: stored as {mode: "eco"}, the key lost
    expect(read('{"data":{"mode":"eco"},"ts":1795000000000}', "cfg")).toEqual({ ts: NOW, data: { cfg: { data: { mode: "eco" }, ts: 1795000000000 } } });
  });

  it("never throws and stores only JSON values under the key", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom<PayloadHints>({}, { payloadFormatIndicator: true }, { contentType: "application/cbor" }, { contentType: "text/plain" }), (payload, hints) => {
        const row = readTelemetry(payload, "k", NOW, LIMITS, hints, decode);
        if (row) expect(Object.keys(row.data)).toEqual(["k"]);
      }),
    );
  });
});

describe("the whole-object topic's payload", () => {
  it("is a JSON or CBOR object, {data, ts?} or the fields themselves; anything else stores nothing", () => {
    expect(read('{"temp":21.5}', null)).toEqual({ ts: NOW, data: { temp: 21.5 } });
    expect(read('{"data":{"temp":21.5},"ts":1795000000000}', null)).toEqual({ ts: 1795000000000, data: { temp: 21.5 } });
    expect(read(encode({ data: { temp: 1 } }), null)).toEqual({ ts: NOW, data: { temp: 1 } });
    for (const bad of ["21.5", "ON", "{}", '{"data":{}}', '{"data":{"a":1},"ts":"x"}', "[1]"]) expect(read(bad, null), bad).toBeNull();
    expect(read('{"temp":21.5}', null, { payloadFormatIndicator: true })).toEqual({ ts: NOW, data: { temp: 21.5 } });
  });

  it("refuses nesting past the limit and numbers past a double's range", () => {
    expect(read("[".repeat(40) + "]".repeat(40), "k")).toBeNull();
    expect(read("[".repeat(40) + "]".repeat(40), null)).toBeNull();
    expect(read("1e400", "k")).toBeNull(); // JSON, but Infinity is no JSON value
    expect(read("1e400", "k", { contentType: "application/json" })).toBeNull();
  });

  it("refuses broken JSON on a sub-topic rather than keeping it as a string", () => {
    for (const broken of ['{"a":', "[1,", '"open', ' {"a" 1}']) expect(read(broken, "k"), broken).toBeNull();
  });
});
