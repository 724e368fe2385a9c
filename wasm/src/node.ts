/**
 * The CBOR codec for plain Node (unit tests, benchmarks, scripts): loads
 * wasm/build/cbor.wasm from disk. Build it first with `npm run build:wasm`.
 * @module
 */
import { readFileSync } from "node:fs";
import { createCbor } from "./cbor";

/** Compiles wasm bytes synchronously (workers-types declare the constructor abstract). */
export function compileWasm(bytes: Uint8Array): WebAssembly.Module {
  const Module = WebAssembly.Module as unknown as new (b: Uint8Array) => WebAssembly.Module;
  return new Module(bytes);
}

const codec = createCbor(compileWasm(readFileSync(new URL("../build/cbor.wasm", import.meta.url))));

/** Decodes one CBOR data item (see {@link Cbor.decode}). */
export const decode = codec.decode;
/** Decodes and resolves a SenML pack (see {@link Cbor.decodeSenML}). */
export const decodeSenML = codec.decodeSenML;

export { createCbor, encode, CborError, SenMLError, Tagged, Simple, DEFAULT_LIMITS, MAX_DEPTH_CAP } from "./cbor";
export type { Cbor, Limits, SenMLRecord, CborErrorCode, SenMLErrorCode } from "./cbor";
