import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Encoder } from "cbor-x";
import { codec } from "./test-utils";
import { encode } from "./encode";
import { Simple, Tagged } from "./values";

// cbor-x writes -0 as the integer 0 and tags Uint8Array unless told not to.
const cborx = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: true });

const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme", maxLength: 8 }));
const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "a", ""));

/** JSON-ish values: ints, floats, strings, bytes, arrays, objects. */
const jsonish = (noNegativeZero: boolean) => fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: false }).filter((d) => !(noNegativeZero && Object.is(d, -0))),
    text,
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
  ),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 6 }),
    fc.dictionary(key, tie("node"), { maxKeys: 6 }),
  ),
})).node;

/** Everything the encoder supports, including Maps, bigints, tags and simple values. */
const full = fc.letrec((tie) => ({
  leaf: fc.oneof(
    jsonish(false),
    fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER)),
    fc.constant(undefined),
    fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 32, max: 255 })).map((n) => new Simple(n)),
  ),
  node: fc.oneof({ depthSize: "small" },
    tie("leaf"),
    fc.tuple(fc.integer({ min: 4, max: 100_000 }), tie("node")).map(([t, v]) => new Tagged(t, v)),
    // A Map whose keys are all text decodes to a plain object, so one key is an integer.
    fc.tuple(tie("node"), fc.uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: 1 }), fc.string({ maxLength: 4 })), tie("node")), { maxLength: 5, selector: ([k]) => k }))
      .map(([first, pairs]) => new Map<unknown, unknown>([[0, first], ...pairs])),
  ),
})).node;

describe("round trips", () => {
  it("decode(cborx.encode(v)) equals v", () => {
    fc.assert(fc.property(jsonish(true), (v) => {
      expect(codec.decode(cborx.encode(v))).toEqual(v);
    }), { numRuns: 2000 });
  });

  it("decode(encode(v)) equals v for JSON-ish values", () => {
    fc.assert(fc.property(jsonish(false), (v) => {
      expect(codec.decode(encode(v))).toEqual(v);
    }), { numRuns: 2000 });
  });

  it("decode(encode(v)) equals v for every supported kind", () => {
    fc.assert(fc.property(full, (v) => {
      expect(codec.decode(encode(v))).toEqual(v);
    }), { numRuns: 2000 });
  });

  it("encode(decode(encode(v))) is byte-identical (preferred serialization is stable)", () => {
    fc.assert(fc.property(full, (v) => {
      const once = encode(v);
      expect(encode(codec.decode(once))).toEqual(once);
    }), { numRuns: 1000 });
  });

});
