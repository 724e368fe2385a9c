/**
 * CBOR (RFC 8949) and SenML (RFC 8428) decoding backed by the WASM walker in
 * wasm/assembly/cbor.ts, plus the pure-TS encoder. Platform-neutral: node.ts loads the
 * module from disk, worker.ts imports it in workerd.
 * @module
 */
import { CborError, WASM_ERROR_CODES } from "./errors";
import { DEFAULT_LIMITS, resolveLimits, type Limits } from "./limits";
import { TapeReader } from "./build";
import { senmlFromTape } from "./senml-cbor";
import { senmlFromJson } from "./senml-json";
import { nowSeconds, type SenMLRecord } from "./senml";

export { CborError, SenMLError, type CborErrorCode, type SenMLErrorCode } from "./errors";
export { Tagged, Simple } from "./values";
export { DEFAULT_LIMITS, MAX_DEPTH_CAP, type Limits } from "./limits";
export { encode } from "./encode";
export type { SenMLRecord } from "./senml";

/** Decoder functions bound to one WASM instance. */
export interface Cbor {
  /**
   * Decodes exactly one CBOR data item. Throws {@link CborError} (and nothing else)
   * for input that is not well-formed, not valid, or over a limit.
   * @example
   * decode(Uint8Array.of(0x82, 0x01, 0x61, 0x61)) // [1, "a"]
   */
  decode(bytes: Uint8Array, limits?: Limits): unknown;
  /**
   * Decodes a SenML pack into resolved records (RFC 8428 §4.6). `now` (seconds) anchors
   * relative times; it defaults to the current time.
   * @example
   * decodeSenML(body, "cbor") // [{ n: "urn:dev:ow:10e2073a01080063:voltage", t: 1.7e9, u: "V", v: 120.1 }]
   */
  decodeSenML(bytes: Uint8Array, format: "cbor" | "json", now?: number, limits?: Limits): SenMLRecord[];
}

interface Exports {
  memory: WebAssembly.Memory;
  reserveInput(len: number): number;
  parse(len: number, depth: number, items: number): number;
  inputPtr(): number;
  ctrlPtr(): number;
  cachePtr(): number;
  seed(hi: number, lo: number): void;
}

/**
 * Instantiates the decoder synchronously from a compiled `cbor.wasm` module.
 * @example
 * const { decode } = createCbor(compileWasm(readFileSync("wasm/build/cbor.wasm")));
 */
export function createCbor(module: WebAssembly.Module): Cbor {
  const instance = new WebAssembly.Instance(module, {});
  const ex = instance.exports as unknown as Exports;
  const reader = new TapeReader(ex.memory);
  const input = ex.inputPtr();
  const ctrl = ex.ctrlPtr() >> 2;
  const cacheTable = ex.cachePtr();
  let seeded = false;

  /** Runs the WASM parse; leaves `reader` at entry 0 of the tape. */
  function parse(bytes: Uint8Array, limits: Limits | undefined): void {
    if (!(bytes instanceof Uint8Array)) throw new CborError("not_bytes", -1, "decode expects a Uint8Array");
    if (!seeded) {
      // Seeded on first use, not at load: workerd allows no randomness in global scope.
      ex.seed((Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0);
      seeded = true;
    }
    const lim = limits === undefined ? DEFAULT_LIMITS : resolveLimits(limits);
    const len = bytes.length;
    if (len > lim.maxBytes) throw new CborError("too_large", lim.maxBytes);
    let u8 = reader.u8;
    if (input + len > u8.length) {
      if (!ex.reserveInput(len)) throw new CborError("out_of_memory", 0);
      reader.refresh();
      u8 = reader.u8;
    }
    u8.set(bytes, input);
    const n = ex.parse(len, lim.maxDepth, lim.maxItems);
    if (reader.u8.length === 0) reader.refresh(); // parse grew memory for the tape
    const t = reader.t32;
    if (n < 0) throw new CborError(WASM_ERROR_CODES[t[ctrl + 1]] ?? "internal_error", t[ctrl + 2]);
    reader.input = input;
    reader.tape = t[ctrl] >> 2;
    reader.cur = reader.tape;
  }

  /** Commits the string cache after a successful build; maps a stack overflow to CborError. */
  function failed(e: unknown): CborError {
    reader.cache.discard();
    if (e instanceof CborError) return e;
    // Building recurses per nesting level; a stack overflow is the only other failure.
    return new CborError("too_deep", -1, e instanceof Error ? e.message : undefined);
  }

  return {
    decode(bytes, limits) {
      parse(bytes, limits);
      try {
        const v = reader.value();
        reader.cache.commit(reader.u8, reader.t32, cacheTable);
        return v;
      } catch (e) {
        throw failed(e);
      }
    },
    decodeSenML(bytes, format, now = nowSeconds(), limits) {
      if (format === "json") {
        const max = resolveLimits(limits).maxBytes;
        if (bytes.length > max) throw new CborError("too_large", max);
        return senmlFromJson(bytes, now);
      }
      parse(bytes, limits);
      try {
        const v = senmlFromTape(reader, now);
        reader.cache.commit(reader.u8, reader.t32, cacheTable);
        return v;
      } catch (e) {
        throw failed(e);
      }
    },
  };
}
