/**
 * The WASM CBOR decoder (wasm/src) under fuzzing: `decode` (default and tight limits) and
 * `decodeSenML` (CBOR and JSON packs) may only throw `CborError` (SenMLError is one). Corpus:
 * RFC 8949 Appendix A, hand-made hostile shapes, fast-check values encoded, SenML packs.
 * The codec instance is passed in: unit tests load the freshly built module, `npm run fuzz` the
 * one under wasm/build.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { Cbor } from "../../../wasm/src/cbor";
import { encode } from "../../../wasm/src/encode";
import { CborError } from "../../../wasm/src/errors";
import { Simple, Tagged } from "../../../wasm/src/values";
import { FuzzBug, type FuzzTarget, type Verdict } from "../engine";
import type { Seed } from "../mutate";

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const te = new TextEncoder();

/** Modes: which entry point an input goes to (a corpus entry's `mode`). */
const DECODE = 0;
const DECODE_TIGHT = 1;
const SENML_CBOR = 2;
const SENML_JSON = 3;

function fixedCorpus(): Seed[] {
  const appendix = (JSON.parse(readFileSync(new URL("../../data/cbor/appendix_a.json", import.meta.url), "utf8")) as { hex: string }[]).map((v) => fromHex(v.hex));
  const values = [
    ...appendix,
    encode({ state: { reported: { temp: 21.5, on: true, tags: ["a", "b"], fw: "1.2.3" }, desired: null }, version: 7 }),
    encode(new Map<unknown, unknown>(Array.from({ length: 40 }, (_, i) => [i % 2 ? `k${i}` : i, [i, -i, i / 3]]))),
    encode([new Tagged(1, 1.5), new Simple(99), 1n << 70n, -(1n << 70n), undefined, new Uint8Array(30), "ü水𐅑".repeat(5)]),
    fromHex("bf61610161629f0203ffff"),
    fromHex("7f657374726561646d696e67ff"),
    fromHex("5f42010243030405ff"),
  ];
  const senml = [
    encode([new Map<unknown, unknown>([[-2, "urn:dev:ow:10e2073a01080063:"], [-3, 1.276020076001e9], [0, "voltage"], [1, "V"], [2, 120.1]]),
      new Map<unknown, unknown>([[0, "current"], [6, -5], [2, 1.2]]),
      new Map<unknown, unknown>([[0, "open"], [4, false]]),
      new Map<unknown, unknown>([[0, "nfc"], [8, Uint8Array.of(1, 2, 3)]])]),
  ];
  const senmlJson = ['[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.276020076001e9,"n":"voltage","u":"V","v":120.1},{"n":"current","t":-5,"v":1.2},{"n":"open","vb":false},{"n":"nfc","vd":"AQID"}]'];
  return [
    ...values.flatMap((bytes) => [{ bytes, mode: DECODE }, { bytes, mode: DECODE_TIGHT }]),
    ...senml.map((bytes) => ({ bytes, mode: SENML_CBOR })),
    ...senmlJson.map((s) => ({ bytes: te.encode(s), mode: SENML_JSON })),
  ];
}

const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: "small" },
    fc.integer(), fc.double(), fc.string({ unit: "binary", maxLength: 12 }), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 12 }),
    fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("v"), { maxKeys: 4 })),
})).v;

/** The fuzz target over a loaded codec. */
export function cborTarget(codec: Pick<Cbor, "decode" | "decodeSenML">): FuzzTarget {
  const only = (f: () => unknown): Verdict => {
    try {
      f();
      return "accepted";
    } catch (e) {
      if (e instanceof CborError) return "rejected";
      throw new FuzzBug(`threw ${e instanceof Error ? e.name : typeof e}, not CborError: ${String(e)}`, e);
    }
  };
  return {
    name: "cbor",
    interesting: [0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x5b, 0x5f, 0x7b, 0x7f, 0x9b, 0x9f, 0xbb, 0xbf, 0xc2, 0xd8, 0xdb, 0xf8, 0xf9, 0xfb, 0xff],
    corpus(seed) {
      const generated = fc.sample(value, { seed, numRuns: 300 }).map((v): Seed => ({ bytes: encode(v), mode: DECODE }));
      return [...fixedCorpus(), ...generated];
    },
    check(input, variant, mode) {
      switch (mode ?? variant % 4) {
        case DECODE_TIGHT:
          return only(() => codec.decode(input, { maxDepth: 1 + (variant % 5), maxItems: 1 + (variant % 50) }));
        case SENML_CBOR:
          return only(() => codec.decodeSenML(input, "cbor", 1.7e9));
        case SENML_JSON:
          return only(() => codec.decodeSenML(input, "json", 1.7e9));
        default:
          return only(() => codec.decode(input));
      }
    },
  };
}
