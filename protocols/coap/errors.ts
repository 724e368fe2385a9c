/** What went wrong while decoding or encoding a CoAP message. */
export type CoapErrorKind =
  | "truncated"
  | "length-nibble"
  | "token-length"
  | "option-delta-reserved"
  | "option-length-reserved"
  | "option-number-overflow"
  | "empty-payload"
  | "invalid-value"
  | "invalid-message";

/**
 * The one error type this module throws for malformed input (a "message format
 * error" in RFC 7252 §3 / RFC 8323 §4.4 terms). Anything else escaping the codec is a bug.
 *
 * @example
 * try { decode(bytes) } catch (e) { if (e instanceof CoapError) abort(e.message) }
 */
export class CoapError extends Error {
  override readonly name = "CoapError";

  /**
   * @param kind   machine-readable reason
   * @param message human-readable reason (safe to send as an Abort diagnostic payload)
   * @param offset byte offset in the input where decoding failed, when known
   */
  constructor(
    readonly kind: CoapErrorKind,
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}
