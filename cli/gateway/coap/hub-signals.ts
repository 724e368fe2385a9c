/**
 * What the gateway makes of each message the hub sends over RFC 8323: responses go on to the
 * translator; signaling (CSM, Ping, Release, Abort) has no UDP counterpart and is settled on
 * the WebSocket hop, Release and Abort becoming 5.03 / 5.02 answers for the UDP peer.
 */
import type { CoapMessage, CoapOption, CsmValues } from "../../../protocols/coap";
import { Code, CoapError, DEFAULT_CSM, Option, SignalOption, applyCsm, codeKind, decode, decodeString, encode, hasCustody, pongMessage, uintOption } from "../../../protocols/coap";
import { GatewayCode, diagnostic, uintOf } from "./translate";

/** The outcome of one hub frame. */
export type HubInput =
  | { kind: "response"; msg: CoapMessage }
  /** The hub's CSM values now in force (RFC 8323 §5.3). */
  | { kind: "csm"; csm: CsmValues }
  /** Send this frame back (a Pong, or 5.01 to a request). */
  | { kind: "answer"; frame: Uint8Array }
  /** The hub ends the connection: answer the peer with `code` (and `options`), then close. */
  | { kind: "gone"; code: number; why: string; options: CoapOption[] }
  /** The hub broke the protocol: Abort (RFC 8323 §5.6) and close. */
  | { kind: "violation"; why: string; badCsmOption?: number }
  | { kind: "ignore" };

/** Reads one frame from the hub, given the CSM values in force. */
export function readHubFrame(frame: Uint8Array, csm: CsmValues | null): HubInput {
  let msg: CoapMessage;
  try {
    msg = decode(frame);
  } catch (e) {
    if (e instanceof CoapError) return { kind: "violation", why: `malformed message from the hub: ${e.message}` };
    throw e;
  }
  switch (codeKind(msg.code)) {
    case "response":
      return { kind: "response", msg };
    case "csm":
      try {
        return { kind: "csm", csm: applyCsm(csm ?? DEFAULT_CSM, msg) };
      } catch (e) {
        if (e instanceof CoapError) return { kind: "violation", why: e.message, badCsmOption: SignalOption.MAX_MESSAGE_SIZE };
        throw e;
      }
    case "ping": // RFC 8323 §5.4: answered on this hop; UDP has no such signal
      return { kind: "answer", frame: encode(pongMessage(msg.token, hasCustody(msg))) };
    case "release": {
      // RFC 8323 §5.5: Hold-Off becomes the peers' Max-Age, when to come back (RFC 7252 §5.9.3.4).
      // No Hold-Off means "at once": Max-Age 0, since a 5.03 without one means 60 s (§5.10.5).
      const options = [uintOption(Option.MAX_AGE, uintOf(msg, SignalOption.HOLD_OFF) ?? 0)];
      return { kind: "gone", code: Code.SERVICE_UNAVAILABLE, why: "hub released the connection", options };
    }
    case "abort": // RFC 8323 §5.6
      return { kind: "gone", code: GatewayCode.BAD_GATEWAY, why: `hub aborted: ${safeText(msg.payload)}`, options: [] };
    case "request": // the hub sends devices no CoAP requests
      return { kind: "answer", frame: encode(diagnostic(Code.NOT_IMPLEMENTED, msg.token, "the gateway relays no requests to devices")) };
    case "pong":
    case "empty": // RFC 8323 §3.4
    case "reserved":
      return { kind: "ignore" };
  }
}

/** A diagnostic payload as text (RFC 8323 §5.6), tolerating bytes that are not UTF-8. */
function safeText(payload: Uint8Array): string {
  try {
    return decodeString(payload);
  } catch {
    return "(binary diagnostic)";
  }
}
