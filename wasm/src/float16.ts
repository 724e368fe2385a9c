/**
 * Float width selection for preferred serialization (RFC 8949 §4.1): the shortest of
 * half, single and double that represents the value exactly.
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Half-precision bits of `v` when it is exactly representable as a half float,
 * else -1. `v` must already be exactly representable as a single (or be NaN).
 */
export function toHalf(v: number): number {
  if (v !== v) return 0x7e00; // §4.1 / Appendix B: NaN is encoded as the quiet half 0x7e00
  f32[0] = v;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00; // ±Infinity
  if (exp === 0) return mant === 0 ? sign : -1; // ±0; single subnormals are below half range
  const e = exp - 127;
  if (e >= -14 && e <= 15) {
    if ((mant & 0x1fff) !== 0) return -1;
    return sign | ((e + 15) << 10) | (mant >>> 13);
  }
  if (e >= -24 && e < -14) {
    // Half subnormal: m × 2^-24 with the implicit leading bit shifted into m.
    const full = mant | 0x800000;
    const shift = -e - 1;
    if ((full & ((1 << shift) - 1)) !== 0) return -1;
    return sign | (full >>> shift);
  }
  return -1;
}

/** True when `v` survives a round trip through a single-precision float. */
export function fitsSingle(v: number): boolean {
  return Math.fround(v) === v || v !== v;
}
