/**
 * The CBOR codec inside workerd: wrangler bundles `cbor.wasm` as a compiled
 * WebAssembly.Module, instantiated once per isolate.
 * @module
 */
import cborWasm from "../build/cbor.wasm";
import { createCbor } from "./cbor";

const codec = createCbor(cborWasm);

/** Decodes one CBOR data item (see {@link Cbor.decode}). */
export const decode = codec.decode;
/** Decodes and resolves a SenML pack (see {@link Cbor.decodeSenML}). */
export const decodeSenML = codec.decodeSenML;

export { createCbor, encode, CborError, SenMLError, Tagged, Simple, DEFAULT_LIMITS, MAX_DEPTH_CAP } from "./cbor";
export type { Cbor, Limits, SenMLRecord, CborErrorCode, SenMLErrorCode } from "./cbor";
