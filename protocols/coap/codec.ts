import { CoapError } from "./errors";

/** One CoAP option: its number and raw value bytes (RFC 7252 §3.1). */
export interface CoapOption {
  number: number;
  value: Uint8Array;
}

/**
 * A CoAP message as carried over WebSockets (RFC 8323 §4.4): no type, no message id,
 * no length — the WebSocket frame delimits it.
 */
export interface CoapMessage {
  /** class << 5 | detail, see `Code`. */
  code: number;
  /** 0–8 bytes. */
  token: Uint8Array;
  /** Sorted by number; repeated options keep their order. */
  options: CoapOption[];
  /** Empty when the message has no payload. */
  payload: Uint8Array;
}

/** Largest option number (the delta sum is 16 bits in practice; RFC 7252 §12.2 registers 0–65535). */
export const MAX_OPTION_NUMBER = 0xffff;
/** Largest option value length expressible with the 14 extension (65535 + 269). */
export const MAX_OPTION_LENGTH = 0xffff + 269;
/** Largest token length (RFC 7252 §3; 9–15 are reserved). */
export const MAX_TOKEN_LENGTH = 8;

const EMPTY = new Uint8Array(0);

/**
 * Decodes one CoAP-over-WebSocket message (RFC 8323 §4.4: the TCP header of §3.2 with
 * Len = 0). Throws `CoapError` for every malformed input and nothing else.
 *
 * @example
 * decode(Uint8Array.of(0x00, 0xe2)) // → Ping: { code: 0xe2, token: [], options: [], payload: [] }
 */
export function decode(bytes: Uint8Array): CoapMessage {
  if (bytes.length < 2) throw new CoapError("truncated", "message shorter than 2 bytes", bytes.length);
  const first = bytes[0];
  // RFC 8323 §4.4: "the Length (Len) field MUST be set to zero"
  if (first >> 4 !== 0) throw new CoapError("length-nibble", "Len nibble must be 0 over WebSockets", 0);
  const tkl = first & 0x0f;
  // RFC 8323 §3.2 / RFC 7252 §3: TKL 9–15 are reserved and a message format error
  if (tkl > MAX_TOKEN_LENGTH) throw new CoapError("token-length", `token length ${tkl} is reserved`, 0);
  const code = bytes[1];
  let pos = 2;
  if (pos + tkl > bytes.length) throw new CoapError("truncated", "token runs past the end", pos);
  const token = bytes.slice(pos, pos + tkl);
  pos += tkl;

  const options: CoapOption[] = [];
  let number = 0;
  while (pos < bytes.length) {
    const head = bytes[pos];
    if (head === 0xff) {
      // RFC 7252 §3: a marker followed by a zero-length payload is a message format error
      if (pos + 1 === bytes.length) throw new CoapError("empty-payload", "payload marker without payload", pos);
      return { code, token, options, payload: bytes.slice(pos + 1) };
    }
    const headAt = pos;
    pos += 1;
    const delta = readExtended(bytes, head >> 4, pos, "option-delta-reserved", headAt);
    pos = delta.next;
    const length = readExtended(bytes, head & 0x0f, pos, "option-length-reserved", headAt);
    pos = length.next;
    number += delta.value;
    if (number > MAX_OPTION_NUMBER) throw new CoapError("option-number-overflow", `option number ${number} > 65535`, headAt);
    if (pos + length.value > bytes.length) throw new CoapError("truncated", "option value runs past the end", pos);
    options.push({ number, value: bytes.slice(pos, pos + length.value) });
    pos += length.value;
  }
  return { code, token, options, payload: EMPTY };
}

/** RFC 7252 §3.1: nibble 13 → one extra byte + 13, 14 → two extra bytes + 269, 15 → reserved. */
function readExtended(
  bytes: Uint8Array,
  nibble: number,
  pos: number,
  reservedKind: "option-delta-reserved" | "option-length-reserved",
  headAt: number,
): { value: number; next: number } {
  if (nibble < 13) return { value: nibble, next: pos };
  if (nibble === 13) {
    if (pos + 1 > bytes.length) throw new CoapError("truncated", "option extension runs past the end", pos);
    return { value: bytes[pos] + 13, next: pos + 1 };
  }
  if (nibble === 14) {
    if (pos + 2 > bytes.length) throw new CoapError("truncated", "option extension runs past the end", pos);
    return { value: ((bytes[pos] << 8) | bytes[pos + 1]) + 269, next: pos + 2 };
  }
  throw new CoapError(reservedKind, `${reservedKind === "option-delta-reserved" ? "option delta" : "option length"} 15 is reserved`, headAt);
}

/** Stable sort by option number (repeated options keep their relative order, RFC 7252 §5.4.5). */
export function sortOptions(options: readonly CoapOption[]): CoapOption[] {
  return options
    .map((o, i) => ({ o, i }))
    .sort((a, b) => a.o.number - b.o.number || a.i - b.i)
    .map((x) => x.o);
}

function extendedSize(v: number): number {
  return v < 13 ? 0 : v < 269 ? 1 : 2;
}

function nibbleOf(v: number): number {
  return v < 13 ? v : v < 269 ? 13 : 14;
}

function writeExtended(out: Uint8Array, pos: number, v: number): number {
  if (v < 13) return pos;
  if (v < 269) {
    out[pos] = v - 13;
    return pos + 1;
  }
  out[pos] = (v - 269) >> 8;
  out[pos + 1] = (v - 269) & 0xff;
  return pos + 2;
}

/**
 * Encodes a message in RFC 8323 §4.4 framing (one WebSocket binary message). Options are
 * sorted first. Throws `CoapError` ("invalid-message") for values the format cannot carry.
 *
 * @example
 * encode({ code: Code.GET, token: Uint8Array.of(1), options: pathOptions("/shadow"), payload: new Uint8Array() })
 */
export function encode(msg: CoapMessage): Uint8Array {
  if (!Number.isInteger(msg.code) || msg.code < 0 || msg.code > 0xff) {
    throw new CoapError("invalid-message", `code ${msg.code} is not a byte`);
  }
  if (msg.token.length > MAX_TOKEN_LENGTH) throw new CoapError("invalid-message", "token longer than 8 bytes");
  const options = sortOptions(msg.options);
  let size = 2 + msg.token.length;
  let previous = 0;
  for (const opt of options) {
    if (!Number.isInteger(opt.number) || opt.number < 0 || opt.number > MAX_OPTION_NUMBER) {
      throw new CoapError("invalid-message", `option number ${opt.number} out of range`);
    }
    if (opt.value.length > MAX_OPTION_LENGTH) throw new CoapError("invalid-message", "option value too long");
    size += 1 + extendedSize(opt.number - previous) + extendedSize(opt.value.length) + opt.value.length;
    previous = opt.number;
  }
  if (msg.payload.length > 0) size += 1 + msg.payload.length;

  const out = new Uint8Array(size);
  out[0] = msg.token.length; // Len nibble 0 (RFC 8323 §4.4)
  out[1] = msg.code;
  out.set(msg.token, 2);
  let pos = 2 + msg.token.length;
  previous = 0;
  for (const opt of options) {
    const delta = opt.number - previous;
    out[pos++] = (nibbleOf(delta) << 4) | nibbleOf(opt.value.length);
    pos = writeExtended(out, pos, delta);
    pos = writeExtended(out, pos, opt.value.length);
    out.set(opt.value, pos);
    pos += opt.value.length;
    previous = opt.number;
  }
  if (msg.payload.length > 0) {
    out[pos++] = 0xff;
    out.set(msg.payload, pos);
  }
  return out;
}
