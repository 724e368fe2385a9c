import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { codec, fromHex } from "./test-utils";
import { encode } from "./encode";
import { Tagged } from "./values";
import { DEFAULT_LIMITS } from "./limits";
import * as tape from "./tape";
import { WASM_ERROR_CODES } from "./errors";

const { decode } = codec;
const code = (hex: string, limits?: Parameters<typeof decode>[1]): string | undefined => {
  try {
    decode(fromHex(hex), limits);
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe("UTF-8 validity (RFC 8949 §5.3.1, RFC 3629)", () => {
  it.each([
    ["62c080", "overlong 2-byte"],
    ["63e08080", "overlong 3-byte"],
    ["63eda080", "UTF-16 surrogate"],
    ["64f4908080", "above U+10FFFF"],
    ["64f8888080", "5-byte lead"],
    ["6180", "lone continuation"],
    ["6262c3", "truncated sequence"],
    ["61ff", "0xff"],
    ["7f61c361bcff", "code point split across chunks (§3.2.3)"],
    ["6a6161616161616161c3c3", "invalid after the 8-byte ASCII fast path"],
  ])("rejects %s (%s)", (hex) => expect(code(hex)).toBe("invalid_utf8"));

  it("reports the offset of the bad sequence", () => {
    expect(() => decode(fromHex("6a61616161616161616180"))).toThrow(expect.objectContaining({ offset: 10 }));
  });

  it.each([
    ["64f09f9880", "😀"],
    ["63efbbbf", "\uFEFF"], // a leading BOM is content, not a marker
    ["7f62c3bc63e6b0b4ff", "ü水"],
    ["6d" + "61".repeat(11) + "c3bc", "aaaaaaaaaaaü"],
  ])("accepts %s", (hex, s) => expect(decode(fromHex(hex))).toBe(s));
});

describe("duplicate map keys (RFC 8949 §5.6, §5.6.1)", () => {
  it.each([
    ["a2616101616102", "same text"],
    ["a201010102", "same int"],
    ["a20101180102", "int in two encodings"],
    ["a2616101 7f6161ff02", "definite and indefinite text"],
    ["a2f93e0001fb3ff800000000000002", "1.5 as half and double"],
    ["a2f9000001f9800002", "0.0 and -0.0"],
    ["a2f97e0001fb7ff800000000000002", "NaN with the same significand"],
    ["a28201020182010202", "equal arrays"],
    ["a2a20102030401a20304010202", "equal maps in another order"],
    ["a2c10501c10502", "equal tags"],
    ["bf616101616102ff", "indefinite map"],
    ["a1a2616101616102 00", "nested map"],
  ])("rejects %s (%s)", (hex) => expect(code(hex.replace(/ /g, ""))).toBe("duplicate_key"));

  it("rejects a duplicate in a large map and points at the later key", () => {
    const m = new Map<number, number>();
    for (let i = 0; i < 1000; i++) m.set(i, i);
    const bytes = encode(m);
    // Rewrite key 999 (19 03e7) into key 7 (19 0007): non-preferred, still equal to 7.
    const hex = Buffer.from(bytes).toString("hex").replace("1903e71903e7", "190007" + "1903e7");
    const at = hex.indexOf("1900071903e7") / 2;
    expect(() => decode(fromHex(hex))).toThrow(expect.objectContaining({ code: "duplicate_key", offset: at }));
  });

  it("accepts distinct keys that look alike", () => {
    expect(decode(fromHex("a2616101410102"))).toEqual(new Map<unknown, unknown>([["a", 1], [Uint8Array.of(1), 2]]));
    expect(decode(fromHex("a2c10501c2410502"))).toEqual(new Map<unknown, unknown>([[new Tagged(1, 5), 1], [5n, 2]]));
    const big = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) big.set(i * 7919, i);
    expect((decode(encode(big)) as Map<number, number>).size).toBe(100_000);
  });

  it("rejects keys that CBOR keeps apart but a JS Map would merge", () => {
    expect(code("a20100f93c0002")).toBe("unrepresentable_key"); // 1 and 1.0
  });

  it("keeps a __proto__ key as an own property", () => {
    const o = decode(encode(JSON.parse('{"__proto__": {"polluted": 1}, "a": 2}'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(["__proto__", "a"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("rejects a bignum whose content is not a byte string (§3.4.3)", () => {
    expect(code("c201")).toBe("invalid_bignum");
  });
});

describe("limits", () => {
  const nested = (d: number): string => "81".repeat(d - 1) + "80";
  it("maxDepth: exactly at the limit passes, one more fails", () => {
    expect(code(nested(64))).toBeUndefined();
    expect(code(nested(65))).toBe("too_deep");
    expect(code(nested(3), { maxDepth: 3 })).toBeUndefined();
    expect(code(nested(4), { maxDepth: 3 })).toBe("too_deep");
    expect(code("c1c1c100", { maxDepth: 3 })).toBeUndefined();
    expect(code("c1c1c1c100", { maxDepth: 3 })).toBe("too_deep");
    expect(code("a1018180", { maxDepth: 3 })).toBeUndefined();
    expect(code("a101818180", { maxDepth: 3 })).toBe("too_deep");
    expect(code("00", { maxDepth: 0 })).toBeUndefined();
    expect(code("80", { maxDepth: 0 })).toBe("too_deep");
  });

  it("maxDepth cannot be raised past the cap, and deep input stays a CborError", () => {
    expect(code(nested(2048), { maxDepth: 1e9 })).toBeUndefined();
    expect(code(nested(2049), { maxDepth: 1e9 })).toBe("too_deep");
  });

  it("maxItems counts every item: exactly at the limit passes, one more fails", () => {
    expect(code("83010203", { maxItems: 4 })).toBeUndefined();
    expect(code("83010203", { maxItems: 3 })).toBe("too_many_items");
    expect(code("9f010203ff", { maxItems: 4 })).toBeUndefined(); // a break is no item
    expect(code("a201020304", { maxItems: 5 })).toBeUndefined();
    expect(code("a201020304", { maxItems: 4 })).toBe("too_many_items");
    expect(code("5f41014102ff", { maxItems: 3 })).toBeUndefined(); // chunks count
    expect(code("5f41014102ff", { maxItems: 2 })).toBe("too_many_items");
  });

  it("maxBytes: exactly at the limit passes, one more fails", () => {
    expect(code("83010203", { maxBytes: 4 })).toBeUndefined();
    expect(() => decode(fromHex("83010203"), { maxBytes: 3 })).toThrow(expect.objectContaining({ code: "too_large", offset: 3 }));
  });

  it("has the documented defaults", () => {
    expect(DEFAULT_LIMITS).toEqual({ maxDepth: 64, maxItems: 1_000_000, maxBytes: 16 * 1024 * 1024 });
    const items = new Uint8Array(1_000_004).fill(0);
    items.set([0x9a, 0x00, 0x0f, 0x42, 0x3f]); // array(999999) + 999999 zeros = 1,000,000 items
    expect(() => decode(items)).not.toThrow();
    const over = new Uint8Array(1_000_005).fill(0);
    over.set([0x9a, 0x00, 0x0f, 0x42, 0x40]);
    expect(code(Buffer.from(over).toString("hex"))).toBe("too_many_items");
  });
});

describe("binding", () => {
  it("mirrors the WASM tape kinds and error codes", () => {
    const src = (f: string): string => readFileSync(new URL(`../assembly/cbor/${f}`, import.meta.url), "utf8");
    for (const [, name, value] of src("tape.ts").matchAll(/export const (K_\w+|F_\w+): i32 = (\w+);/g)) {
      expect([name, (tape as Record<string, unknown>)[name]]).toEqual([name, Number(value)]);
    }
    for (const [, name, value] of src("cache.ts").matchAll(/export const (CACHE_SLOTS|CACHE_SLOT_SIZE): i32 = (\w+);/g)) {
      expect([name, (tape as Record<string, unknown>)[name]]).toEqual([name, Number(value)]);
    }
    const codes = [...src("errors.ts").matchAll(/export const E_\w+: i32 = (\d+);/g)].map((m) => Number(m[1]));
    expect(codes).toEqual(WASM_ERROR_CODES.map((_, i) => i));
  });

  it("returns fresh byte strings that do not alias WASM memory", () => {
    const a = decode(fromHex("43010203")) as Uint8Array;
    decode(fromHex("43090909"));
    expect([...a]).toEqual([1, 2, 3]);
    expect(a.buffer.byteLength).toBe(3);
  });

  it("rejects non-bytes input with a CborError", () => {
    expect(() => decode("00" as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: "not_bytes" }));
  });

  it("reuses cached strings across calls without mixing them up", () => {
    const doc = { alpha: "x", beta: ["alpha", "beta", "gamma"], gamma: { alpha: 1 } };
    for (let i = 0; i < 3; i++) expect(decode(encode(doc))).toEqual(doc);
    expect(decode(encode({ alphb: 1, betb: 2 }))).toEqual({ alphb: 1, betb: 2 });
  });
});
