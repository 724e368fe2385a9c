/**
 * The property list of a v5 PUBLISH (MQTT 5.0 §3.3.2.3), written by hand. A forwarded message's
 * User Properties keep their order, names that repeat included [MQTT-3.3.2-18]; mqtt-packet's
 * generator takes them as a record and writes a repeated name's values together.
 *
 * Answers `undefined` for anything out of range (the general encoder then raises the error).
 */
import type { PublishProperties } from "./packets";
import { varint } from "./varint";

const encoder = new TextEncoder();
const U16 = 0xffff;
const VARINT_MAX = 268_435_455;

/** `[length][bytes]` pieces and fixed fields, gathered before one allocation. */
type Piece = number | Uint8Array;

/** The property list, its length prefix included, or undefined when a value is out of range. */
export function publishProperties(p: PublishProperties): Uint8Array | undefined {
  const pieces: Piece[] = [];
  let size = 0;
  const byte = (b: number) => {
    pieces.push(b);
    size += 1;
  };
  const bytes = (b: Uint8Array): boolean => {
    if (b.length > U16) return false;
    pieces.push(b.length >> 8, b.length & 0xff, b);
    size += 2 + b.length;
    return true;
  };
  const text = (s: string) => bytes(encoder.encode(s));
  const int = (value: number, width: 2 | 4, min: number, max: number): boolean => {
    if (!Number.isInteger(value) || value < min || value > max) return false;
    for (let shift = (width - 1) * 8; shift >= 0; shift -= 8) byte(Math.floor(value / 2 ** shift) & 0xff);
    return true;
  };

  if (p.payloadFormatIndicator !== undefined) (byte(0x01), byte(p.payloadFormatIndicator ? 1 : 0));
  if (p.messageExpiryInterval !== undefined && !(byte(0x02), int(p.messageExpiryInterval, 4, 0, 0xffffffff))) return undefined;
  if (p.contentType !== undefined && !(byte(0x03), text(p.contentType))) return undefined;
  if (p.responseTopic !== undefined && !(byte(0x08), text(p.responseTopic))) return undefined;
  if (p.correlationData !== undefined && !(byte(0x09), bytes(p.correlationData))) return undefined;
  for (const id of p.subscriptionIdentifiers ?? []) {
    if (!Number.isInteger(id) || id < 1 || id > VARINT_MAX) return undefined;
    byte(0x0b);
    for (const b of varint(id)) byte(b);
  }
  if (p.topicAlias !== undefined && !(byte(0x23), int(p.topicAlias, 2, 1, U16))) return undefined;
  for (const [name, value] of p.userProperties ?? []) if (!(byte(0x26), text(name) && text(value))) return undefined;

  if (size > VARINT_MAX - 4) return undefined;
  const prefix = varint(size);
  const out = new Uint8Array(prefix.length + size);
  out.set(prefix);
  let pos = prefix.length;
  for (const piece of pieces) {
    if (typeof piece === "number") out[pos++] = piece;
    else (out.set(piece, pos), (pos += piece.length));
  }
  return out;
}
