// 64-bit mixing step for key hashes (multiply-rotate, constants from MurmurHash3 fmix64
// and the golden ratio). Only used to group candidate duplicate keys; equality is exact.

// @ts-ignore: decorator
@inline export function mix(h: u64, v: u64): u64 {
  h ^= v * 0xff51afd7ed558ccd;
  h = rotl<u64>(h, 31);
  return h * 0x9e3779b97f4a7c15 + 0x632be59bd9b4e019;
}
