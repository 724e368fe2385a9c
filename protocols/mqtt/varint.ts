/**
 * MQTT's Variable Byte Integer (§1.5.5), as byte values: 7 bits a byte, low first, the high bit
 * set on every byte but the last. At most 268,435,455 (four bytes).
 * @example varint(321) // [0xc1, 0x02]
 */
export function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}
