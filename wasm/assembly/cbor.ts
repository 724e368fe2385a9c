// Umbra CBOR decoder (RFC 8949) compiled to WebAssembly. The JS binding
// (wasm/src/cbor.ts) copies input to `inputPtr()`, calls `parse`, and builds values from
// the tape. No allocator: parse lays out memory itself (cbor/state.ts).
import { setFixed, setLayout, setSeed, fail, clearError } from "./cbor/state";
import { parse as parseTape } from "./cbor/parser";
import { CACHE_SLOTS, CACHE_SLOT_SIZE, setCacheBase } from "./cbor/cache";
import { E_OUT_OF_MEMORY } from "./cbor/errors";

const PAGE: usize = 65536;

// @ts-ignore: decorator
@inline function align16(x: usize): usize {
  return (x + 15) & ~<usize>15;
}

const CTRL = align16(__heap_base);
const CACHE = CTRL + 16;
const INPUT = align16(CACHE + <usize>(CACHE_SLOTS * CACHE_SLOT_SIZE));
setFixed(CTRL, INPUT);
setCacheBase(CACHE);

/** Memory size in bytes as last seen (memory only grows). */
let memoryBytes: usize = 0;

/** Grows memory to at least `bytes`; false when it cannot. */
function ensure(bytes: usize): bool {
  if (bytes <= memoryBytes) return true;
  const have = <usize>memory.size() * PAGE;
  if (bytes > have && memory.grow(<i32>((bytes - have + PAGE - 1) / PAGE)) < 0) return false;
  memoryBytes = <usize>memory.size() * PAGE;
  return true;
}

/** Makes room for an input of `len` bytes at inputPtr(); false when memory cannot grow. */
export function reserveInput(len: i32): bool {
  return ensure(INPUT + <usize>len);
}

/**
 * Decodes the `len` bytes at inputPtr() under the given limits. Returns the tape length,
 * or -1 with the error in the control block ([4] code, [8] offset); [0] holds the tape address.
 */
export function parse(len: i32, depth: i32, items: i32): i32 {
  const stack = align16(INPUT + <usize>len);
  const tape = align16(stack + (<usize>depth << 5));
  // One tape entry and at most one key record per item; every item takes a byte.
  const cap = <usize>(len < items ? len : items) + 1;
  const ks = tape + (cap << 4);
  if (!ensure(ks + (cap << 4))) {
    clearError();
    return fail(E_OUT_OF_MEMORY, 0);
  }
  setLayout(stack, tape, ks, depth, items);
  return parseTape(len);
}

/** Address where the input goes. */
export function inputPtr(): usize {
  return INPUT;
}

/** Address of the control block. */
export function ctrlPtr(): usize {
  return CTRL;
}

/** Address of the string cache table. */
export function cachePtr(): usize {
  return CACHE;
}

/** Seeds the key hash (two 32-bit halves, so JS needs no BigInt). */
export function seed(hi: u32, lo: u32): void {
  setSeed((<u64>hi << 32) | <u64>lo);
}
