import type { BlockValue } from "./block";
import { decodeBlock } from "./block";
import type { CoapMessage, CoapOption } from "./codec";
import { Code } from "./codes";
import { CoapError } from "./errors";
import { Option, decodeString, decodeUint, isCritical } from "./options";

/** A request with its options checked and decoded. */
export interface ParsedRequest {
  method: number;
  token: Uint8Array;
  path: string[];
  /** Uri-Query arguments, `auth=` included. */
  query: string[];
  contentFormat?: number;
  accept?: number;
  observe?: number;
  block1?: BlockValue;
  block2?: BlockValue;
  size1?: number;
  ifMatch: Uint8Array[];
  ifNoneMatch: boolean;
  /** ETag options of the request (validation, RFC 7252 §5.10.6.2). */
  etags: Uint8Array[];
  /** Proxy-Uri or Proxy-Scheme present: we are no proxy (RFC 7252 §5.7.2). */
  proxy: boolean;
  payload: Uint8Array;
}

/** Why a request is refused before reaching a resource. */
export interface RequestRejection {
  code: number;
  diagnostic: string;
}

interface Rule {
  min: number;
  max: number;
  repeatable: boolean;
}

// RFC 7252 §5.10 table 4, RFC 7641 §2, RFC 7959 §2.1 / §4, RFC 7967 §2.
const rules: Record<number, Rule> = {
  [Option.IF_MATCH]: { min: 0, max: 8, repeatable: true },
  [Option.URI_HOST]: { min: 1, max: 255, repeatable: false },
  [Option.ETAG]: { min: 1, max: 8, repeatable: true },
  [Option.IF_NONE_MATCH]: { min: 0, max: 0, repeatable: false },
  [Option.OBSERVE]: { min: 0, max: 3, repeatable: false },
  [Option.URI_PORT]: { min: 0, max: 2, repeatable: false },
  [Option.URI_PATH]: { min: 0, max: 255, repeatable: true },
  [Option.CONTENT_FORMAT]: { min: 0, max: 2, repeatable: false },
  [Option.MAX_AGE]: { min: 0, max: 4, repeatable: false },
  [Option.URI_QUERY]: { min: 0, max: 255, repeatable: true },
  [Option.ACCEPT]: { min: 0, max: 2, repeatable: false },
  [Option.BLOCK2]: { min: 0, max: 3, repeatable: false },
  [Option.BLOCK1]: { min: 0, max: 3, repeatable: false },
  [Option.SIZE2]: { min: 0, max: 4, repeatable: false },
  [Option.PROXY_URI]: { min: 1, max: 1034, repeatable: false },
  [Option.PROXY_SCHEME]: { min: 1, max: 255, repeatable: false },
  [Option.SIZE1]: { min: 0, max: 4, repeatable: false },
  [Option.NO_RESPONSE]: { min: 0, max: 1, repeatable: false },
};

/**
 * Checks a request's options and decodes the ones the server uses. An option that is
 * unknown, has a bad length, or repeats when it must not counts as unrecognized
 * (RFC 7252 §5.4.3, §5.4.5): elective ones are dropped, a critical one → 4.02 Bad Option
 * (RFC 7252 §5.4.1).
 */
export function parseRequest(msg: CoapMessage): ParsedRequest | RequestRejection {
  const seen = new Set<number>();
  const kept: CoapOption[] = [];
  for (const o of msg.options) {
    const rule = rules[o.number];
    const ok = rule !== undefined && o.value.length >= rule.min && o.value.length <= rule.max && (rule.repeatable || !seen.has(o.number));
    seen.add(o.number);
    if (ok) kept.push(o);
    else if (isCritical(o.number)) return { code: Code.BAD_OPTION, diagnostic: `unrecognized critical option ${o.number}` };
  }
  const all = (n: number) => kept.filter((o) => o.number === n).map((o) => o.value);
  const one = (n: number) => kept.find((o) => o.number === n)?.value;
  const uint = (n: number) => {
    const v = one(n);
    return v === undefined ? undefined : decodeUint(v);
  };
  const block = (n: number) => {
    const v = one(n);
    return v === undefined ? undefined : decodeBlock(v);
  };
  try {
    return {
      method: msg.code,
      token: msg.token,
      path: all(Option.URI_PATH).map(decodeString),
      query: all(Option.URI_QUERY).map(decodeString),
      contentFormat: uint(Option.CONTENT_FORMAT),
      accept: uint(Option.ACCEPT),
      observe: uint(Option.OBSERVE),
      block1: block(Option.BLOCK1),
      block2: block(Option.BLOCK2),
      size1: uint(Option.SIZE1),
      ifMatch: all(Option.IF_MATCH),
      ifNoneMatch: one(Option.IF_NONE_MATCH) !== undefined,
      etags: all(Option.ETAG),
      proxy: one(Option.PROXY_URI) !== undefined || one(Option.PROXY_SCHEME) !== undefined,
      payload: msg.payload,
    };
  } catch (e) {
    if (e instanceof CoapError) return { code: Code.BAD_REQUEST, diagnostic: e.message };
    throw e;
  }
}

/** Narrows the result of `parseRequest`. */
export function isRejection(r: ParsedRequest | RequestRejection): r is RequestRejection {
  return "diagnostic" in r;
}
