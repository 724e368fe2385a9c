import type { CoapMessage, CoapOption } from "./codec";
import { Code } from "./codes";
import type { CoapHost, ShadowFormat } from "./host";
import { ContentFormat, contentFormatOption, encodeString } from "./options";

const EMPTY = new Uint8Array(0);

/** A response echoing the request's token (RFC 7252 §5.3.2). */
export function reply(token: Uint8Array, code: number, options: CoapOption[] = [], payload: Uint8Array = EMPTY): CoapMessage {
  return { code, token, options, payload };
}

/** An error response whose payload is a UTF-8 diagnostic without Content-Format (RFC 7252 §5.5.2). */
export function diagnosticReply(token: Uint8Array, code: number, text: string, options: CoapOption[] = []): CoapMessage {
  return { code, token, options, payload: encodeString(text) };
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

/** An AWS IoT-style error document, `{ code, message }`. */
export function awsError(status: number, message: string): { code: number; message: string } {
  return { code: status, message };
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
