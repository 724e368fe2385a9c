import { describe, expect, it } from "vitest";
import { encode } from "./encode";
import { Simple, Tagged } from "./values";
import { codec, toHex } from "./test-utils";

describe("encode: preferred serialization (RFC 8949 §4.1)", () => {
  it.each([
    [0, "00"], [23, "17"], [24, "1818"], [255, "18ff"], [256, "190100"], [65535, "19ffff"], [65536, "1a00010000"],
    [4294967295, "1affffffff"], [4294967296, "1b0000000100000000"], [Number.MAX_SAFE_INTEGER, "1b001fffffffffffff"],
    [-1, "20"], [-24, "37"], [-25, "3818"], [-256, "38ff"], [-257, "390100"], [-4294967296, "3affffffff"],
    [-Number.MAX_SAFE_INTEGER, "3b001ffffffffffffe"],
  ])("integer %d → %s", (v, hex) => expect(toHex(encode(v))).toBe(hex));

  it.each([
    [0.5, "f93800"], [-0, "f98000"], [1.5, "f93e00"], [65504.5, "fa477fe080"], [100000.5, "fa47c35040"],
    [1.1, "fb3ff199999999999a"], [5.960464477539063e-8, "f90001"], [2 ** -25, "fa33000000"],
    [6.103515625e-5, "f90400"], [2 ** -15, "f90200"], [NaN, "f97e00"], [Infinity, "f97c00"], [-Infinity, "f9fc00"],
    [2 ** 53, "fa5a000000"], [2 ** 64 + 2 ** 12, "fb43f0000000000001"], [3.4028234663852886e38, "fa7f7fffff"], [1e300, "fb7e37e43c8800759c"],
  ])("float %d → %s (shortest exact width)", (v, hex) => expect(toHex(encode(v))).toBe(hex));

  it.each([
    ["", "60"], ["a", "6161"], ["a".repeat(23), "77" + "61".repeat(23)], ["a".repeat(24), "7818" + "61".repeat(24)],
    ["a".repeat(256), "790100" + "61".repeat(256)], ["ü", "62c3bc"], ["a水", "6461e6b0b4"], ["\ud800", "63efbfbd"],
  ])("text %j", (v, hex) => expect(toHex(encode(v))).toBe(hex));

  it.each([
    [0n, "00"], [(1n << 64n) - 1n, "1bffffffffffffffff"], [1n << 64n, "c249010000000000000000"],
    [-(1n << 64n), "3bffffffffffffffff"], [-(1n << 64n) - 1n, "c349010000000000000000"], [-5n, "24"],
  ])("bigint %s", (v, hex) => expect(toHex(encode(v))).toBe(hex));

  it("encodes the other kinds", () => {
    expect(toHex(encode(Uint8Array.of(1, 2)))).toBe("420102");
    expect(toHex(encode([1, [2, 3]]))).toBe("8201820203");
    expect(toHex(encode({ a: 1, b: [2, 3] }))).toBe("a26161016162820203");
    expect(toHex(encode(new Map<unknown, unknown>([[1, 2], ["x", null]])))).toBe("a201026178f6");
    expect(toHex(encode([true, false, null, undefined]))).toBe("84f5f4f6f7");
    expect(toHex(encode(new Tagged(1, 1363896240)))).toBe("c11a514b67b0");
    expect(toHex(encode(new Tagged((1n << 64n) - 1n, 0)))).toBe("dbffffffffffffffff00");
    expect(toHex(encode([new Simple(16), new Simple(255)]))).toBe("82f0f8ff");
    expect(toHex(encode(Object.assign(Object.create(null) as object, { a: 1 })))).toBe("a1616101");
  });

  it("grows its buffer for large values and returns independent copies", () => {
    const big = "x".repeat(3_000_000);
    const a = encode(big);
    const b = encode("y");
    expect(a.length).toBe(3_000_005);
    expect(codec.decode(a)).toBe(big);
    expect(toHex(b)).toBe("6179");
  });

  it("throws TypeError for what CBOR cannot carry", () => {
    expect(() => encode(() => 1)).toThrow(TypeError);
    expect(() => encode(Symbol("x"))).toThrow(TypeError);
    expect(() => encode(new Date())).toThrow(TypeError);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => encode(cyclic)).toThrow(TypeError);
    expect(() => new Simple(24)).toThrow(RangeError);
  });
});

describe("encode: nesting", () => {
  it("encodes as deep as the decoder accepts", () => {
    let v: unknown = 0;
    for (let i = 0; i < 2048; i++) v = [v];
    expect(codec.decode(encode(v), { maxDepth: 2048 })).toEqual(v);
    expect(() => encode([v])).toThrow(TypeError);
  });
});
