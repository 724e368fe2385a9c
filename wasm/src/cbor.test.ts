import { describe, expect, it } from "vitest";
import { codec, diagnostic, fromHex, testData, toHex } from "./test-utils";
import { CborError } from "./errors";
import { encode } from "./encode";

interface Vector { hex: string; roundtrip: boolean; decoded?: unknown; diagnostic?: string }

const appendixA = testData<Vector[]>("appendix_a.json");
const notWellFormed = testData<{ hex: string }[]>("not_well_formed.json");

// JSON cannot carry these four exactly (RFC 8949 Appendix A, beyond 2^53).
const BIG: Record<string, bigint> = {
  "1bffffffffffffffff": 18446744073709551615n,
  c249010000000000000000: 18446744073709551616n,
  "3bffffffffffffffff": -18446744073709551616n,
  c349010000000000000000: -18446744073709551617n,
};

// Diagnostic notation that describes the encoding rather than the value.
const DIAGNOSTIC_VALUE: Record<string, string> = {
  "5f42010243030405ff": "h'0102030405'", // (_ h'0102', h'030405'): chunks concatenate, §3.2.3
};

describe("RFC 8949 Appendix A", () => {
  it("has 82 vectors", () => expect(appendixA).toHaveLength(82));

  it.each(appendixA.map((v) => [v.hex, v] as const))("decodes %s", (hex, v) => {
    const got = codec.decode(fromHex(hex));
    if (hex in BIG) expect(got).toBe(BIG[hex]);
    else if ("decoded" in v) expect(got).toEqual(v.decoded);
    else expect(diagnostic(got)).toBe(DIAGNOSTIC_VALUE[hex] ?? v.diagnostic);
  });

  // A float that holds an integer decodes to a JS number indistinguishable from the
  // integer, which the encoder writes as an integer: those vectors cannot round-trip.
  const canonical = appendixA.filter((v) => {
    if (!v.roundtrip) return false;
    const x = codec.decode(fromHex(v.hex));
    const isFloat = /^f[9ab]/.test(v.hex);
    return !(isFloat && typeof x === "number" && Number.isSafeInteger(x) && !Object.is(x, -0));
  });

  it("keeps enough canonical vectors to mean something", () => expect(canonical.length).toBeGreaterThanOrEqual(60));

  it.each(canonical.map((v) => [v.hex] as const))("re-encodes %s with preferred serialization", (hex) => {
    expect(toHex(encode(codec.decode(fromHex(hex))))).toBe(hex);
  });
});

describe("not-well-formed inputs", () => {
  it("has 679 vectors", () => expect(notWellFormed).toHaveLength(679));

  it("rejects every one with a CborError carrying a code and an offset", () => {
    const accepted: string[] = [];
    for (const { hex } of notWellFormed) {
      try {
        codec.decode(fromHex(hex));
        accepted.push(hex);
      } catch (e) {
        expect(e).toBeInstanceOf(CborError);
        const err = e as CborError;
        expect(typeof err.code).toBe("string");
        expect(err.offset).toBeGreaterThanOrEqual(-1);
        expect(err.offset).toBeLessThanOrEqual(hex.length / 2);
      }
    }
    expect(accepted).toEqual([]);
  });

  it.each([
    ["1c", "reserved_additional_info", 0],
    ["1f", "invalid_indefinite", 0],
    ["f818", "invalid_simple", 0],
    ["ff", "unexpected_break", 0],
    ["8201ff", "unexpected_break", 2],
    ["9f01", "truncated", 2],
    ["5f4100", "truncated", 3],
    ["5f6161ff", "invalid_chunk", 1],
    ["5f5f4100ffff", "invalid_chunk", 1],
    ["bf01ff", "missing_map_value", 2],
    ["0001", "trailing_bytes", 1],
    ["", "truncated", 0],
    ["1a0000", "truncated", 0],
    ["62c3", "truncated", 0],
  ])("%s → %s at %d", (hex, code, offset) => {
    expect(() => codec.decode(fromHex(hex))).toThrow(expect.objectContaining({ code, offset }));
  });
});
