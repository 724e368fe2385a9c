// Half- and single-precision floats widened to f64 (RFC 8949 §3.3, Appendix D).
// NaN payloads are rebuilt bit by bit because wasm's f64.promote_f32 may canonicalize
// them, and §5.6.1 compares NaN keys by significand.

export function halfToF64(h: u32): f64 {
  const sign: u64 = <u64>(h >> 15) << 63;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp == 0x1f) {
    return reinterpret<f64>(sign | 0x7ff0000000000000 | (<u64>mant << 42));
  }
  let v: f64;
  if (exp == 0) v = <f64>mant * 5.960464477539063e-8; // mant × 2^-24 (subnormal)
  else v = <f64>(mant + 1024) * pow2(<i32>exp - 25);
  return sign ? -v : v;
}

export function singleToF64(bits: u32): f64 {
  if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0) {
    const sign: u64 = <u64>(bits >> 31) << 63;
    return reinterpret<f64>(sign | 0x7ff0000000000000 | (<u64>(bits & 0x7fffff) << 29));
  }
  return <f64>reinterpret<f32>(bits);
}

// @ts-ignore: decorator
@inline function pow2(e: i32): f64 {
  // 2^e for the small exponent range of half floats (-24..6), built from the bits.
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}
