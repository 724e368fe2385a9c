/**
 * Building responses: plain replies, bodies in JSON or CBOR, and errors. Every error (4.xx,
 * 5.xx) carries the same typed diagnostic — JSON `{code, message}` with Content-Format 50 —
 * so a client never has to guess whether an error payload is text or a document.
 */
import type { CoapMessage, CoapOption } from "./codec";
import { Code, codeClass, codeDetail } from "./codes";
import type { CoapHost, ShadowFormat } from "./host";
import { ContentFormat, contentFormatOption, encodeString } from "./options";

const EMPTY = new Uint8Array(0);

/** A response echoing the request's token (RFC 7252 §5.3.2). */
export function reply(token: Uint8Array, code: number, options: CoapOption[] = [], payload: Uint8Array = EMPTY): CoapMessage {
  return { code, token, options, payload };
}

/** A response code as the number error bodies carry: 4.04 → 404, 5.00 → 500 (the HTTP status in the common cases). */
export function codeNumber(code: number): number {
  return codeClass(code) * 100 + codeDetail(code);
}

/**
 * An error response (RFC 7252 §5.5.2) with its diagnostic as JSON `{code, message, ...extra}`
 * and Content-Format 50. `extra` keeps the other fields of an AWS error document
 * (`timestamp`, `clientToken`); `code` and `message` always win.
 *
 * @example errorReply(token, Code.NOT_FOUND, "no resource /x") // 4.04 {"code":404,"message":"no resource /x"}
 */
export function errorReply(token: Uint8Array, code: number, message: string, options: CoapOption[] = [], extra: Record<string, unknown> = {}): CoapMessage {
  const body = JSON.stringify({ ...extra, code: codeNumber(code), message });
  return { code, token, options: [contentFormatOption(ContentFormat.JSON), ...options], payload: encodeString(body) };
}

/** An error response from a host's error body (AWS `{code, message, timestamp?, clientToken?}`). */
export function hostErrorReply(token: Uint8Array, code: number, body: unknown, options: CoapOption[] = []): CoapMessage {
  const doc = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const message = typeof doc.message === "string" ? doc.message : "request failed";
  return errorReply(token, code, message, options, doc);
}

/** Maps a host's HTTP-style status to a CoAP response code (RFC 8075 §7 in reverse). */
export function statusToCode(status: number): number {
  switch (status) {
    case 400:
      return Code.BAD_REQUEST;
    case 401:
      return Code.UNAUTHORIZED;
    case 403:
      return Code.FORBIDDEN;
    case 404:
      return Code.NOT_FOUND;
    case 405:
      return Code.METHOD_NOT_ALLOWED;
    case 406:
      return Code.NOT_ACCEPTABLE;
    case 409:
      return Code.CONFLICT;
    case 412:
      return Code.PRECONDITION_FAILED;
    case 413:
      return Code.REQUEST_ENTITY_TOO_LARGE;
    case 415:
      return Code.UNSUPPORTED_CONTENT_FORMAT;
    case 429:
      return Code.TOO_MANY_REQUESTS;
    case 501:
      return Code.NOT_IMPLEMENTED;
    case 503:
      return Code.SERVICE_UNAVAILABLE;
    default:
      return status >= 400 && status < 500 ? Code.BAD_REQUEST : Code.INTERNAL_SERVER_ERROR;
  }
}

/** Whether a host status is a success (2xx). */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Serializes a body in JSON (50) or CBOR (60); `undefined` gives an empty payload. */
export function encodeBody(host: CoapHost, body: unknown, format: ShadowFormat): Uint8Array {
  if (body === undefined) return EMPTY;
  if (format === ContentFormat.CBOR) return host.encodeCbor(body);
  // JSON.stringify gives undefined for functions and symbols despite its declared type
  const json: string | undefined = JSON.stringify(body);
  return json === undefined ? EMPTY : encodeString(json);
}

/** A response carrying a body in the given format, with its Content-Format option. */
export function bodyReply(
  host: CoapHost,
  token: Uint8Array,
  code: number,
  body: unknown,
  format: ShadowFormat,
  extra: CoapOption[] = [],
): CoapMessage {
  const payload = encodeBody(host, body, format);
  const options = payload.length > 0 ? [contentFormatOption(format), ...extra] : extra;
  return { code, token, options, payload };
}
