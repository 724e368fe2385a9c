/**
 * The pure mapping between one RFC 7252 datagram and one RFC 8323 message: the two carry the
 * same code, token, options and payload, so translating is mostly re-framing. What differs is
 * hop-by-hop: Uri-Host/Uri-Port name the gateway's UDP endpoint and No-Response (RFC 7967) is
 * applied on the UDP hop, so neither goes to the hub.
 */
import type { CoapMessage, CoapOption } from "../../../protocols/coap";
import { CoapError, Option, codeClass, getUintOption, makeCode } from "../../../protocols/coap";
import { errorReply } from "../../../protocols/coap/responses";
import type { Datagram, MessageType } from "./datagram";

/** The proxy response codes `Code` in protocols/coap has no name for (RFC 7252 §5.9.3). */
export const GatewayCode = {
  /** 5.02: the hub could not be reached, or closed the connection. */
  BAD_GATEWAY: makeCode(5, 2),
  /** 5.04: the hub did not answer in time. */
  GATEWAY_TIMEOUT: makeCode(5, 4),
} as const;

/** What a datagram's code makes it on UDP (RFC 7252 §3, §12.1.1: classes 1, 3, 6, 7 are reserved). */
export type UdpKind = "empty" | "request" | "response" | "reserved";

/** Classifies a datagram code; class 7 (signaling) exists on reliable transports only. */
export function udpKind(code: number): UdpKind {
  if (code === 0) return "empty";
  switch (codeClass(code)) {
    case 0:
      return "request";
    case 2:
    case 4:
    case 5:
      return "response";
    default:
      return "reserved";
  }
}

const HOP_OPTIONS: readonly number[] = [Option.URI_HOST, Option.URI_PORT, Option.NO_RESPONSE];

/** A UDP request as the hub receives it, under the gateway's token for this exchange. */
export function toHubRequest(d: Pick<Datagram, "code" | "options" | "payload">, hubToken: Uint8Array): CoapMessage {
  return { code: d.code, token: hubToken, options: d.options.filter((o) => !HOP_OPTIONS.includes(o.number)), payload: d.payload };
}

/** A hub message as the UDP peer receives it, under the peer's own token. */
export function toPeer(msg: Pick<CoapMessage, "code" | "options" | "payload">, type: MessageType, messageId: number, token: Uint8Array): Datagram {
  return { type, messageId, token, code: msg.code, options: msg.options, payload: msg.payload };
}

/**
 * The gateway's own error response, shaped as the hub's are (README "Errors"): JSON
 * `{code, message}` with Content-Format 50, so a device reads one kind of error body whoever answered.
 */
export function diagnostic(code: number, token: Uint8Array, text: string, options: CoapOption[] = []): CoapMessage {
  return errorReply(token, code, text, options);
}

/** A uint option's value, or undefined when absent or unreadable (longer than 6 bytes). */
export function uintOf(msg: Pick<CoapMessage, "options">, number: number): number | undefined {
  try {
    return getUintOption(msg, number);
  } catch (e) {
    if (e instanceof CoapError) return undefined;
    throw e;
  }
}

/** The Observe option's value (RFC 7641 §2), or undefined. */
export function observeOf(msg: Pick<CoapMessage, "options">): number | undefined {
  return uintOf(msg, Option.OBSERVE);
}

// RFC 7967 §2.1: bit values of No-Response per response class
const NO_RESPONSE_BITS: Record<number, number> = { 2: 2, 4: 8, 5: 16 };

/**
 * Whether the request's No-Response option (RFC 7967) asks not to be sent this response.
 * A CON request is still acknowledged: the caller sends an Empty ACK instead.
 */
export function suppressed(request: Pick<CoapMessage, "options">, responseCode: number): boolean {
  const mask = uintOf(request, Option.NO_RESPONSE) ?? 0;
  return (mask & (NO_RESPONSE_BITS[codeClass(responseCode)] ?? 0)) !== 0;
}

/** The same message with Observe set to `value` (register 0 / deregister 1, RFC 7641 §3.1, §3.6). */
export function withObserve(msg: CoapMessage, value: number, token: Uint8Array): CoapMessage {
  const options = msg.options.filter((o) => o.number !== Option.OBSERVE);
  options.push({ number: Option.OBSERVE, value: value === 0 ? new Uint8Array(0) : Uint8Array.of(value) });
  return { ...msg, token, options };
}

/**
 * The answer to a request the gateway will not take on at all (too many peers, stopping): the
 * response piggybacked on an ACK for CON, a NON for NON (RFC 7252 §5.2); null for non-requests.
 */
export function refusal(d: Datagram, code: number, text: string, options: CoapOption[] = []): Datagram | null {
  if (udpKind(d.code) !== "request" || (d.type !== "CON" && d.type !== "NON")) return null;
  return toPeer(diagnostic(code, d.token, text, options), d.type === "CON" ? "ACK" : "NON", d.messageId, d.token);
}
