// Byte-range helpers on unaligned 8-byte loads (wasm allows them; AS's memory.compare
// falls back to a byte loop unless both pointers share an alignment).

/** True when the `n` bytes at `a` and `b` are equal. Reads nothing outside either range. */
export function bytesEqual(a: usize, b: usize, n: usize): bool {
  if (n >= 8) {
    let i: usize = 0;
    while (i + 8 <= n) {
      if (load<u64>(a + i) != load<u64>(b + i)) return false;
      i += 8;
    }
    // The last word overlaps what was already compared.
    return i == n || load<u64>(a + n - 8) == load<u64>(b + n - 8);
  }
  if (n >= 4) return load<u32>(a) == load<u32>(b) && load<u32>(a + n - 4) == load<u32>(b + n - 4);
  for (let i: usize = 0; i < n; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return true;
}

/** Keeps the low `n` bytes of `w` (n < 8). */
// @ts-ignore: decorator
@inline export function lowBytes(w: u64, n: usize): u64 {
  return w & ((<u64>1 << (<u64>n << 3)) - 1);
}

/**
 * A fingerprint of the `n` bytes at `p` (inside the input, which is followed by reserved
 * memory, so reading up to 8 bytes past its end is safe): equal bytes, equal fingerprints.
 */
// @ts-ignore: decorator
@inline export function bytesFingerprint(p: usize, n: usize): u64 {
  if (n < 8) return lowBytes(load<u64>(p), n) ^ (<u64>n << 59);
  return load<u64>(p) ^ (load<u64>(p + n - 8) * 0x9e3779b97f4a7c15) ^ (<u64>n << 59);
}
