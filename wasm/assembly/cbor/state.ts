// Decoder state shared by the parser modules. Linear memory, low to high:
//   [heap base] control block | string cache | input | frame stack | tape | key scratch
// The input sits at a fixed address so JS can copy it before calling parse; parse lays
// out the rest for each call (cbor.ts) and grows memory when needed.

/** Absolute address of the copied input. */
export let inBase: usize = 0;
/** Absolute address of tape entry 0. */
export let tapeBase: usize = 0;
/** Absolute address of the frame stack (32 bytes per open container). */
export let stackBase: usize = 0;
/** Absolute address of the key scratch (16 bytes per pending map key). */
export let ksBase: usize = 0;
/** Control block read by JS: [0] tape address, [4] error code, [8] error offset. */
export let ctrlBase: usize = 0;
/** Limits for the current call. */
export let maxDepth: i32 = 64;
export let maxItems: i32 = 1000000;
/** Hash seed (set once from JS) so colliding keys cannot be precomputed. */
export let seed: u64 = 0x243f6a8885a308d3;

export function setFixed(ctrl: usize, input: usize): void {
  ctrlBase = ctrl;
  inBase = input;
}

export function setLayout(stack: usize, tape: usize, ks: usize, depth: i32, items: i32): void {
  stackBase = stack;
  tapeBase = tape;
  ksBase = ks;
  maxDepth = depth;
  maxItems = items;
  store<i32>(ctrlBase, <i32>tape);
}

export function setSeed(s: u64): void {
  seed = s;
}

/** Records an error; returns -1 so callers can `return fail(...)`. */
export function fail(code: i32, offset: i32): i32 {
  store<i32>(ctrlBase, code, 4);
  store<i32>(ctrlBase, offset, 8);
  return -1;
}

export function clearError(): void {
  store<i32>(ctrlBase, 0, 4);
  store<i32>(ctrlBase, 0, 8);
}
