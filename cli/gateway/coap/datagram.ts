/**
 * CoAP over UDP datagrams (RFC 7252 §3) for the gateway, on top of `coap-packet` (the wire
 * codec node-coap is built on). The library is lenient — it accepts extended tokens, silently
 * truncates option values and takes a payload marker with nothing after it — so a datagram
 * counts as well formed only if the library writes it back byte for byte, and its token is at
 * most 8 bytes. Options and codes are numbers here, as in `protocols/coap`.
 */
import { Buffer } from "node:buffer";
import { generate, parse } from "coap-packet";
import type { CoapOption } from "../../../protocols/coap";
import { formatCode } from "../../../protocols/coap";

/** RFC 7252 §4: the four message types. */
export type MessageType = "CON" | "NON" | "ACK" | "RST";

/** One RFC 7252 message: the reliable-transport message plus type and message id. */
export interface Datagram {
  type: MessageType;
  /** class << 5 | detail; 0 is the Empty message. */
  code: number;
  /** 16-bit message id (RFC 7252 §4.4). */
  messageId: number;
  /** 0–8 bytes. */
  token: Uint8Array;
  options: CoapOption[];
  payload: Uint8Array;
}

/** Result of reading a datagram: the message, or why it is a message format error. */
export type ParsedDatagram =
  | { ok: true; msg: Datagram }
  /** `type`/`messageId` are set when the 4-byte header was readable, so a CON can be rejected with RST. */
  | { ok: false; reason: string; type?: MessageType; messageId?: number };

/** Largest UDP payload over IPv4 (65535 − 8 − 20). */
export const MAX_DATAGRAM = 65_507;
const MAX_TOKEN = 8;

const typeNames: readonly MessageType[] = ["CON", "NON", "ACK", "RST"];

let optionNumbers: Map<string, number> | null = null;

/**
 * coap-packet names the options it knows ("Uri-Path") and numbers the rest ("2050"). Rather
 * than copy its private table, ask the library: one datagram holding every option number up
 * to the last one it names, parsed back, gives each name its number.
 */
function numberOfName(name: string | number): number {
  if (typeof name === "number") return name;
  if (/^\d+$/.test(name)) return Number(name);
  if (optionNumbers === null) {
    const options = Array.from({ length: 2100 }, (_, i) => ({ name: String(i + 1), value: Buffer.alloc(0) }));
    const parsed = parse(generate({ code: "0.01", messageId: 0, options }, 1 << 16));
    optionNumbers = new Map(parsed.options.map((o, i) => [String(o.name), i + 1]));
  }
  const n = optionNumbers.get(name);
  if (n === undefined) throw new Error(`coap-packet named an unknown option ${name}`);
  return n;
}

function codeOf(text: string): number {
  const [cls, detail] = text.split(".").map(Number);
  return (cls << 5) | detail;
}

/** Reads a datagram; anything RFC 7252 §3 calls a message format error is `ok: false`. */
export function parseDatagram(bytes: Uint8Array): ParsedDatagram {
  if (bytes.length < 4) return { ok: false, reason: "shorter than the 4-byte header" };
  const header = { type: typeNames[(bytes[0] >> 4) & 0x03], messageId: (bytes[2] << 8) | bytes[3] };
  // RFC 7252 §3: unknown versions are silently ignored, so no header to reject with RST
  if (bytes[0] >> 6 !== 1) return { ok: false, reason: "unknown version" };
  if ((bytes[0] & 0x0f) > MAX_TOKEN) return { ok: false, reason: "token length 9-15 is reserved", ...header };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let msg: Datagram;
  try {
    const p = parse(buf);
    msg = {
      type: header.type,
      code: codeOf(p.code),
      messageId: p.messageId,
      token: new Uint8Array(p.token),
      options: p.options.map((o) => ({ number: numberOfName(o.name), value: new Uint8Array(o.value) })),
      payload: new Uint8Array(p.payload),
    };
  } catch {
    return { ok: false, reason: "malformed options", ...header };
  }
  let again: Uint8Array;
  try {
    again = serializeDatagram(msg);
  } catch {
    return { ok: false, reason: "malformed message", ...header };
  }
  if (Buffer.compare(Buffer.from(again), buf) !== 0) return { ok: false, reason: "malformed options or payload marker", ...header };
  return { ok: true, msg };
}

/**
 * Writes a datagram. Throws when the token is longer than 8 bytes or the message longer than
 * `MAX_DATAGRAM`.
 */
export function serializeDatagram(msg: Datagram): Uint8Array {
  if (msg.token.length > MAX_TOKEN) throw new Error("token longer than 8 bytes");
  const out = generate(
    {
      code: formatCode(msg.code),
      messageId: msg.messageId,
      confirmable: msg.type === "CON",
      ack: msg.type === "ACK",
      reset: msg.type === "RST",
      token: Buffer.from(msg.token),
      options: msg.options.map((o) => ({ name: String(o.number), value: Buffer.from(o.value) })),
      payload: Buffer.from(msg.payload),
    },
    MAX_DATAGRAM,
  );
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** RFC 7252 §4.1–§4.3: an Empty message (ACK, RST, or CON as a CoAP ping). */
export function emptyMessage(type: MessageType, messageId: number): Datagram {
  return { type, code: 0, messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) };
}
