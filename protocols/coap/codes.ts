/**
 * CoAP codes as one byte, class << 5 | detail (RFC 7252 §3, §12.1; RFC 8323 §5.1 for
 * class 7 signaling; RFC 8132 4.09; RFC 8516 4.29; RFC 7959 2.31, 4.08).
 */
export const Code = {
  EMPTY: 0x00,
  GET: 0x01,
  POST: 0x02,
  PUT: 0x03,
  DELETE: 0x04,
  FETCH: 0x05,
  PATCH: 0x06,
  IPATCH: 0x07,
  CREATED: 0x41,
  DELETED: 0x42,
  VALID: 0x43,
  CHANGED: 0x44,
  CONTENT: 0x45,
  CONTINUE: 0x5f,
  BAD_REQUEST: 0x80,
  UNAUTHORIZED: 0x81,
  BAD_OPTION: 0x82,
  FORBIDDEN: 0x83,
  NOT_FOUND: 0x84,
  METHOD_NOT_ALLOWED: 0x85,
  NOT_ACCEPTABLE: 0x86,
  REQUEST_ENTITY_INCOMPLETE: 0x88,
  CONFLICT: 0x89,
  PRECONDITION_FAILED: 0x8c,
  REQUEST_ENTITY_TOO_LARGE: 0x8d,
  UNSUPPORTED_CONTENT_FORMAT: 0x8f,
  TOO_MANY_REQUESTS: 0x9d,
  INTERNAL_SERVER_ERROR: 0xa0,
  NOT_IMPLEMENTED: 0xa1,
  SERVICE_UNAVAILABLE: 0xa3,
  PROXYING_NOT_SUPPORTED: 0xa5,
  CSM: 0xe1,
  PING: 0xe2,
  PONG: 0xe3,
  RELEASE: 0xe4,
  ABORT: 0xe5,
} as const;

/** Builds a code byte from its class (0–7) and detail (0–31). */
export function makeCode(cls: number, detail: number): number {
  return ((cls & 0x07) << 5) | (detail & 0x1f);
}

/** The class (0–7) of a code byte. */
export function codeClass(code: number): number {
  return code >> 5;
}

/** The detail (0–31) of a code byte. */
export function codeDetail(code: number): number {
  return code & 0x1f;
}

/** Renders a code the way the RFCs write it, e.g. 0x45 → "2.05". */
export function formatCode(code: number): string {
  return `${codeClass(code)}.${String(codeDetail(code)).padStart(2, "0")}`;
}

/** What a message with this code is, for the one dispatch switch of a session. */
export type CodeKind = "empty" | "request" | "response" | "csm" | "ping" | "pong" | "release" | "abort" | "reserved";

/** Classifies a code byte (RFC 7252 §12.1, RFC 8323 §5.1). */
export function codeKind(code: number): CodeKind {
  if (code === Code.EMPTY) return "empty";
  switch (codeClass(code)) {
    case 0:
      return "request";
    case 2:
    case 4:
    case 5:
      return "response";
    case 7:
      switch (code) {
        case Code.CSM:
          return "csm";
        case Code.PING:
          return "ping";
        case Code.PONG:
          return "pong";
        case Code.RELEASE:
          return "release";
        case Code.ABORT:
          return "abort";
        default:
          return "reserved";
      }
    default:
      return "reserved";
  }
}
