/**
 * ETags (RFC 7252 §5.10.6) of the representations this server sends. An ETag names one
 * representation — one sequence of bytes — so the JSON and CBOR forms of a shadow version get
 * different ones, and a GET with one of them validates (2.03) only that form.
 */
import { ContentFormat, bytesEqual, etagFromVersion } from "./options";
import type { ShadowFormat } from "./host";

const CBOR_MARK = ContentFormat.CBOR;

/**
 * The ETag of shadow version `version` rendered in `format`. JSON keeps the version's minimal
 * bytes (1–7 bytes, as before); CBOR is always 8 bytes (a marker, then the version in 7), so
 * the two forms can never share an ETag.
 *
 * @example
 * versionEtag(1, 50) // [0x01]
 * versionEtag(1, 60) // [0x3c, 0, 0, 0, 0, 0, 0, 0x01]
 */
export function versionEtag(version: number, format: ShadowFormat): Uint8Array {
  if (format === ContentFormat.JSON) return etagFromVersion(version);
  const out = new Uint8Array(8);
  out[0] = CBOR_MARK;
  let v = version;
  for (let i = 7; i >= 1; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** Whether `etag` names version `version` in any format (If-Match compares the resource state). */
export function etagNamesVersion(etag: Uint8Array, version: number): boolean {
  return bytesEqual(etag, versionEtag(version, ContentFormat.JSON)) || bytesEqual(etag, versionEtag(version, ContentFormat.CBOR));
}

/**
 * An 8-byte ETag from the bytes of a representation (two 32-bit FNV-1a lanes). For resources
 * without a version of their own — a delta is derived, and a delete empties it without a new
 * version — equal bytes then always carry the same ETag and different bytes (almost surely) not.
 */
export function contentEtag(bytes: Uint8Array): Uint8Array {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193);
    b = Math.imul(b ^ bytes[i], 0x01000193) ^ (b >>> 15);
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, a >>> 0);
  new DataView(out.buffer).setUint32(4, b >>> 0);
  return out;
}
