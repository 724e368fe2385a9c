import type { CoapMessage, CoapOption } from "./codec";
import { CoapError } from "./errors";

/** Request/response option numbers (RFC 7252 §5.10, RFC 7641, RFC 7959, RFC 7967). */
export const Option = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  NO_RESPONSE: 258,
} as const;

/** Signaling option numbers; each code has its own space (RFC 8323 §5.3–§5.6). */
export const SignalOption = {
  /** 7.01 CSM, uint (RFC 8323 §5.3.1) */
  MAX_MESSAGE_SIZE: 2,
  /** 7.01 CSM, empty (RFC 8323 §5.3.2) */
  BLOCK_WISE_TRANSFER: 4,
  /** 7.02 Ping / 7.03 Pong, empty (RFC 8323 §5.4.1) */
  CUSTODY: 2,
  /** 7.04 Release, string, repeatable (RFC 8323 §5.5.1) */
  ALTERNATIVE_ADDRESS: 2,
  /** 7.04 Release, uint seconds (RFC 8323 §5.5.2) */
  HOLD_OFF: 4,
  /** 7.05 Abort, uint (RFC 8323 §5.6.1) */
  BAD_CSM_OPTION: 2,
} as const;

/** Content-Format ids this hub speaks (RFC 7252 §12.3, RFC 8428 §12.3). */
export const ContentFormat = {
  TEXT: 0,
  JSON: 50,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
} as const;

/** RFC 7252 §5.4.6: odd option numbers are critical. */
export function isCritical(number: number): boolean {
  return (number & 1) === 1;
}

/** RFC 7252 §3.2 uint: big-endian, no leading zero bytes, 0 is the empty string. */
export function encodeUint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new CoapError("invalid-value", `${n} is not a uint`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from(bytes);
}

/** Reads a uint option value (leading zeros tolerated); more than 6 bytes is an error. */
export function decodeUint(value: Uint8Array): number {
  if (value.length > 6) throw new CoapError("invalid-value", "uint longer than 6 bytes");
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string option value. */
export function encodeString(s: string): Uint8Array {
  return utf8.encode(s);
}

/** A string option value; invalid UTF-8 is a `CoapError` (RFC 7252 §3.2: Net-Unicode). */
export function decodeString(value: Uint8Array): string {
  try {
    return strictUtf8.decode(value);
  } catch {
    throw new CoapError("invalid-value", "option value is not UTF-8");
  }
}

/** An option whose value is a uint. */
export function uintOption(number: number, value: number): CoapOption {
  return { number, value: encodeUint(value) };
}

/** An option whose value is a UTF-8 string. */
export function stringOption(number: number, value: string): CoapOption {
  return { number, value: encodeString(value) };
}

/** An option with an empty value (e.g. If-None-Match, Block-Wise-Transfer, Custody). */
export function emptyOption(number: number): CoapOption {
  return { number, value: new Uint8Array(0) };
}

/** The first value of an option, if present. */
export function getOption(msg: Pick<CoapMessage, "options">, number: number): Uint8Array | undefined {
  return msg.options.find((o) => o.number === number)?.value;
}

/** Every value of a (repeatable) option, in order. */
export function getOptions(msg: Pick<CoapMessage, "options">, number: number): Uint8Array[] {
  return msg.options.filter((o) => o.number === number).map((o) => o.value);
}

/** Whether the option is present at all. */
export function hasOption(msg: Pick<CoapMessage, "options">, number: number): boolean {
  return msg.options.some((o) => o.number === number);
}

/** The first value of a uint option (Content-Format, Accept, Observe, Size1, Max-Age...). */
export function getUintOption(msg: Pick<CoapMessage, "options">, number: number): number | undefined {
  const v = getOption(msg, number);
  return v === undefined ? undefined : decodeUint(v);
}

/** Uri-Path segments (RFC 7252 §6.5); throws `CoapError` on invalid UTF-8. */
export function getUriPath(msg: Pick<CoapMessage, "options">): string[] {
  return getOptions(msg, Option.URI_PATH).map(decodeString);
}

/** Uri-Query arguments (RFC 7252 §6.5); throws `CoapError` on invalid UTF-8. */
export function getUriQuery(msg: Pick<CoapMessage, "options">): string[] {
  return getOptions(msg, Option.URI_QUERY).map(decodeString);
}

/**
 * Uri-Path options for a path: "/shadow/lamp" → two options (RFC 7252 §6.4 step 8;
 * the root path "/" has none).
 */
export function pathOptions(path: string): CoapOption[] {
  return path
    .split("/")
    .filter((s, i) => !(i === 0 && s === "") && s !== "")
    .map((s) => stringOption(Option.URI_PATH, s));
}

/** Uri-Query options, one per argument. */
export function queryOptions(args: readonly string[]): CoapOption[] {
  return args.map((q) => stringOption(Option.URI_QUERY, q));
}

/** RFC 7641 §4.2: Observe sequence numbers are 24-bit, at most 3 bytes. */
export function observeOption(seq: number): CoapOption {
  return uintOption(Option.OBSERVE, seq & 0xffffff);
}

/** Content-Format option. */
export function contentFormatOption(format: number): CoapOption {
  return uintOption(Option.CONTENT_FORMAT, format);
}

/** An ETag (1–8 bytes, RFC 7252 §5.10.6) derived from a shadow version; 0 → one zero byte. */
export function etagFromVersion(version: number): Uint8Array {
  const v = encodeUint(version);
  return v.length === 0 ? Uint8Array.of(0) : v;
}

/** Byte equality, for ETag / If-Match / token comparisons. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Lowercase hex of some bytes (tokens in serializable state). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Inverse of `toHex`; throws `CoapError` on odd length or non-hex digits. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new CoapError("invalid-value", "not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
