/**
 * Fuzzing the WASM CBOR decoder with the shared mutator (test/fuzz/mutate.ts): mutated and
 * random inputs, hostile shapes, and a short pass of the shared target `npm run fuzz` runs a
 * million times. Every failure must be a CborError; seeds make failures replayable.
 */
import { describe, expect, it } from "vitest";
import { codec, fromHex, testData } from "./test-utils";
import { describeFailures, fuzz } from "../../test/fuzz/engine";
import { mutate, rng, type Rng } from "../../test/fuzz/mutate";
import { cborTarget } from "../../test/fuzz/targets/cbor";
import { CborError } from "./errors";
import { encode } from "./encode";
import { Simple, Tagged } from "./values";

const corpus: Uint8Array[] = [
  ...testData<{ hex: string }[]>("appendix_a.json").map((v) => fromHex(v.hex)),
  encode({ state: { reported: { temp: 21.5, on: true, tags: ["a", "b"], fw: "1.2.3" }, desired: null }, version: 7 }),
  encode([{ [-2]: "urn:dev:ow:10e2073a01080063:" }, new Map<unknown, unknown>([[-2, "urn:x:"], [0, "temp"], [2, 23.5], [6, -5]])]),
  encode(new Map<unknown, unknown>(Array.from({ length: 40 }, (_, i) => [i % 2 ? `k${i}` : i, [i, -i, i / 3]]))),
  encode([new Tagged(1, 1.5), new Simple(99), 1n << 70n, -(1n << 70n), undefined, new Uint8Array(30), "ü水𐅑".repeat(5)]),
  fromHex("bf61610161629f0203ffff"),
  fromHex("7f657374726561646d696e67ff"),
  fromHex("5f42010243030405ff"),
];

/** CBOR header bytes that announce huge lengths or indefinite items, for the mutator. */
const HEADERS = [0x5b, 0x7b, 0x9b, 0xbb, 0x1b, 0xdb, 0xfb];
const mutateCbor = (src: Uint8Array, r: Rng) => mutate(src, r, { interesting: HEADERS, maxEdits: 3 });

/** Runs `f`; anything thrown must be a CborError. */
function onlyCborErrors(f: () => unknown, input: Uint8Array): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CborError)) throw new Error(`non-CborError for ${Buffer.from(input).toString("hex")}: ${String(e)}`);
  }
}

describe("mutation fuzzing", () => {
  it("decode only ever throws CborError (60,000 mutated inputs)", () => {
    const seed = 0x5eed;
    const r = rng(seed);
    let accepted = 0;
    for (let i = 0; i < 60_000; i++) {
      const input = mutateCbor(corpus[i % corpus.length], r);
      const limits = i % 7 === 0 ? { maxDepth: 1 + (i % 5), maxItems: 1 + (i % 50) } : undefined;
      onlyCborErrors(() => { codec.decode(input, limits); accepted++; }, input);
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it("decodeSenML only ever throws CborError (20,000 mutated inputs)", () => {
    const r = rng(0xcafe);
    const packs = [
      encode([new Map<unknown, unknown>([[-2, "urn:dev:ow:10e2073a01080063:"], [-3, 1.276020076001e9], [0, "voltage"], [1, "V"], [2, 120.1]]),
        new Map<unknown, unknown>([[0, "current"], [6, -5], [2, 1.2]]),
        new Map<unknown, unknown>([[0, "open"], [4, false]]),
        new Map<unknown, unknown>([[0, "nfc"], [8, Uint8Array.of(1, 2, 3)]])]),
    ];
    for (let i = 0; i < 20_000; i++) {
      const input = mutateCbor(packs[0], r);
      onlyCborErrors(() => codec.decodeSenML(input, "cbor", 1.7e9), input);
      onlyCborErrors(() => codec.decodeSenML(input, "json", 1.7e9), input);
    }
  });

  it("random byte strings never escape as other errors (20,000 inputs)", () => {
    const r = rng(42);
    for (let i = 0; i < 20_000; i++) {
      const input = Uint8Array.from({ length: Math.floor(r() * 24) }, () => Math.floor(r() * 256));
      onlyCborErrors(() => codec.decode(input), input);
    }
  });

  it("hostile shapes finish quickly", () => {
    const deep = fromHex("9f".repeat(100_000));
    const tags = fromHex("c1".repeat(100_000) + "00");
    const chunks = fromHex("5f" + "40".repeat(200_000) + "ff");
    const hugeCount = fromHex("9bffffffffffffffff00");
    const keys = encode(new Map(Array.from({ length: 50_000 }, (_, i) => [[i, [i]], i])));
    for (const input of [deep, tags, chunks, hugeCount]) onlyCborErrors(() => codec.decode(input), input);
    expect(codec.decode(chunks, { maxItems: 1e6 })).toEqual(new Uint8Array(0));
    expect((codec.decode(keys) as Map<unknown, unknown>).size).toBe(50_000);
  });
});

describe("the shared CBOR fuzz target (short pass of `npm run fuzz -- --codec cbor`)", () => {
  it("20,000 inputs over decode, tight limits and both SenML forms: only CborError", () => {
    const summary = fuzz(cborTarget(codec), { seed: 0xcb0, inputs: 20_000 });
    expect(summary.failures, describeFailures(summary)).toEqual([]);
    expect(summary.accepted).toBeGreaterThan(500);
  });
});
