// UTF-8 validation for text strings (RFC 8949 §3.1 major type 3, §5.3.1; RFC 3629 §4).

/** Result of the last validUtf8 call: true when every byte was ASCII. */
export let lastAscii: bool = true;

/**
 * Checks `len` bytes at `p`. Returns -1 when valid, else the index (from `p`) of the
 * first byte of the offending sequence. Sets `lastAscii`.
 */
export function validUtf8(p: usize, len: i32): i32 {
  const end = p + <usize>len;
  let i = p;
  let ascii = true;
  while (i < end) {
    // Eight bytes at a time while they are all ASCII: most IoT text is.
    while (i + 8 <= end && (load<u64>(i) & 0x8080808080808080) == 0) i += 8;
    if (i >= end) break;
    const b0 = <u32>load<u8>(i);
    if (b0 < 0x80) { i++; continue; }
    ascii = false;
    const left = end - i;
    if (b0 < 0xc2) return <i32>(i - p); // continuation byte or overlong 2-byte lead
    if (b0 < 0xe0) {
      if (left < 2 || (<u32>load<u8>(i, 1) & 0xc0) != 0x80) return <i32>(i - p);
      i += 2;
      continue;
    }
    if (b0 < 0xf0) {
      if (left < 3) return <i32>(i - p);
      const b1 = <u32>load<u8>(i, 1);
      // RFC 3629 §4: E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates).
      const lo: u32 = b0 == 0xe0 ? 0xa0 : 0x80;
      const hi: u32 = b0 == 0xed ? 0x9f : 0xbf;
      if (b1 < lo || b1 > hi || (<u32>load<u8>(i, 2) & 0xc0) != 0x80) return <i32>(i - p);
      i += 3;
      continue;
    }
    if (b0 < 0xf5) {
      if (left < 4) return <i32>(i - p);
      const b1 = <u32>load<u8>(i, 1);
      // F0 needs 90..BF (no overlongs), F4 needs 80..8F (nothing above U+10FFFF).
      const lo: u32 = b0 == 0xf0 ? 0x90 : 0x80;
      const hi: u32 = b0 == 0xf4 ? 0x8f : 0xbf;
      if (b1 < lo || b1 > hi
        || (<u32>load<u8>(i, 2) & 0xc0) != 0x80
        || (<u32>load<u8>(i, 3) & 0xc0) != 0x80) return <i32>(i - p);
      i += 4;
      continue;
    }
    return <i32>(i - p);
  }
  lastAscii = ascii;
  return -1;
}
