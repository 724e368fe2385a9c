/** Strict UTF-8: text that is not valid UTF-8 is not text (JSON must be UTF-8, RFC 8259 §8.1). */
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The bytes as text, or null when they are not valid UTF-8 (never U+FFFD replacements).
 * @example decodeUtf8(new Uint8Array([0x61, 0xff])) // null
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}
