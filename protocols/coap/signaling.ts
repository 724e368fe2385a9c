import type { CoapMessage, CoapOption } from "./codec";
import { Code } from "./codes";
import { CoapError } from "./errors";
import { SignalOption, decodeUint, emptyOption, encodeString, isCritical, uintOption } from "./options";

/** What a peer announced in its CSM (RFC 8323 §5.3). */
export interface CsmValues {
  /** Largest message the peer accepts; 1152 until it says otherwise (RFC 8323 §5.3.1). */
  maxMessageSize: number;
  /** Peer supports block-wise transfer / BERT (RFC 8323 §5.3.2). */
  blockWise: boolean;
}

/** RFC 8323 §5.3.1: the base value of Max-Message-Size. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1152;

/** The values in force before any CSM arrives (RFC 8323 §5.3). */
export const DEFAULT_CSM: CsmValues = { maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE, blockWise: false };

const EMPTY = new Uint8Array(0);
const known: Record<number, readonly number[]> = {
  [Code.CSM]: [SignalOption.MAX_MESSAGE_SIZE, SignalOption.BLOCK_WISE_TRANSFER],
  [Code.PING]: [SignalOption.CUSTODY],
  [Code.PONG]: [SignalOption.CUSTODY],
  [Code.RELEASE]: [SignalOption.ALTERNATIVE_ADDRESS, SignalOption.HOLD_OFF],
  [Code.ABORT]: [SignalOption.BAD_CSM_OPTION],
};

/**
 * A 7.01 CSM. Always carries Max-Message-Size, because libcoap ignores a CSM without
 * options; Block-Wise-Transfer when supported (RFC 8323 §5.3).
 */
export function csmMessage(values: CsmValues): CoapMessage {
  const options: CoapOption[] = [uintOption(SignalOption.MAX_MESSAGE_SIZE, values.maxMessageSize)];
  if (values.blockWise) options.push(emptyOption(SignalOption.BLOCK_WISE_TRANSFER));
  return { code: Code.CSM, token: EMPTY, options, payload: EMPTY };
}

/** A 7.02 Ping, optionally asking for Custody (RFC 8323 §5.4). */
export function pingMessage(token: Uint8Array = EMPTY, custody = false): CoapMessage {
  return { code: Code.PING, token, options: custody ? [emptyOption(SignalOption.CUSTODY)] : [], payload: EMPTY };
}

/** A 7.03 Pong echoing the Ping's token (RFC 8323 §5.4). */
export function pongMessage(token: Uint8Array, custody = false): CoapMessage {
  return { code: Code.PONG, token, options: custody ? [emptyOption(SignalOption.CUSTODY)] : [], payload: EMPTY };
}

/** A 7.04 Release (RFC 8323 §5.5). */
export function releaseMessage(opts: { alternativeAddress?: readonly string[]; holdOff?: number } = {}): CoapMessage {
  const options: CoapOption[] = (opts.alternativeAddress ?? []).map((a) => ({
    number: SignalOption.ALTERNATIVE_ADDRESS,
    value: encodeString(a),
  }));
  if (opts.holdOff !== undefined) options.push(uintOption(SignalOption.HOLD_OFF, opts.holdOff));
  return { code: Code.RELEASE, token: EMPTY, options, payload: EMPTY };
}

/** A 7.05 Abort with a UTF-8 diagnostic payload and optional Bad-CSM-Option (RFC 8323 §5.6). */
export function abortMessage(diagnostic: string, badCsmOption?: number): CoapMessage {
  return {
    code: Code.ABORT,
    token: EMPTY,
    options: badCsmOption === undefined ? [] : [uintOption(SignalOption.BAD_CSM_OPTION, badCsmOption)],
    payload: encodeString(diagnostic),
  };
}

/**
 * The first critical signaling option this code does not define, if any. RFC 8323 §5.3:
 * an unknown critical CSM option aborts the connection (with Bad-CSM-Option); we treat
 * the other signaling codes the same way since nothing in them can be skipped safely.
 */
export function unknownCriticalSignalOption(msg: CoapMessage): number | undefined {
  const defined = known[msg.code] ?? [];
  return msg.options.find((o) => isCritical(o.number) && !defined.includes(o.number))?.number;
}

/**
 * Applies a CSM to the values in force; later CSMs update earlier ones (RFC 8323 §5.3).
 * Throws `CoapError` when Max-Message-Size is not a uint of at most 4 bytes.
 */
export function applyCsm(previous: CsmValues, msg: CoapMessage): CsmValues {
  let { maxMessageSize, blockWise } = previous;
  for (const o of msg.options) {
    if (o.number === SignalOption.MAX_MESSAGE_SIZE) {
      if (o.value.length > 4) throw new CoapError("invalid-value", "Max-Message-Size longer than 4 bytes");
      maxMessageSize = decodeUint(o.value);
    } else if (o.number === SignalOption.BLOCK_WISE_TRANSFER) {
      blockWise = true;
    }
  }
  return { maxMessageSize, blockWise };
}

/** Whether a Ping or Pong carries Custody (RFC 8323 §5.4.1). */
export function hasCustody(msg: CoapMessage): boolean {
  return msg.options.some((o) => o.number === SignalOption.CUSTODY);
}
