/**
 * CoAP-over-WebSocket codec (protocols/coap) under fuzzing: `decode` may only throw
 * `CoapError`; what decodes must re-encode to bytes that decode to the same message, and its
 * Block1/Block2 options must decode or throw `CoapError`. Corpus: fast-check messages.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { decodeBlock } from "../../../protocols/coap/block";
import { decode, encode, type CoapMessage } from "../../../protocols/coap/codec";
import { CoapError } from "../../../protocols/coap/errors";
import { FuzzBug, type FuzzTarget, type Verdict } from "../engine";
import type { Seed } from "../mutate";

const BLOCK_OPTIONS = new Set([23, 27]);

/** Runs one frame through the codec; see the module comment for what counts as a bug. */
export function checkCoap(input: Uint8Array): Verdict {
  let msg: CoapMessage;
  try {
    msg = decode(input);
  } catch (e) {
    if (e instanceof CoapError) return "rejected";
    throw new FuzzBug(`decode threw ${String(e)}`, e);
  }
  for (const o of msg.options) {
    if (!BLOCK_OPTIONS.has(o.number)) continue;
    try {
      decodeBlock(o.value);
    } catch (e) {
      if (!(e instanceof CoapError)) throw new FuzzBug(`decodeBlock threw ${String(e)}`, e);
    }
  }
  let again: Uint8Array;
  try {
    again = encode(msg);
  } catch (e) {
    throw new FuzzBug(`a decoded message does not encode: ${String(e)}`, e);
  }
  if (!isDeepStrictEqual(decode(again), msg)) throw new FuzzBug("message changed through decode → encode → decode");
  return "accepted";
}

/** Offsets of the TKL byte and of every option header in a well-formed frame. */
function lengthFields(b: Uint8Array): number[] {
  const at = [0];
  let i = 2 + (b[0] & 0x0f);
  while (i < b.length && b[i] !== 0xff) {
    at.push(i);
    const h = b[i++];
    const ext = (n: number) => (n === 13 ? 1 : n === 14 ? 2 : 0);
    const dl = ext(h >> 4);
    const ll = ext(h & 0x0f);
    const len = (h & 0x0f) < 13 ? h & 0x0f : (h & 0x0f) === 13 ? b[i + dl] + 13 : ((b[i + dl] << 8) | b[i + dl + 1]) + 269;
    i += dl + ll + len;
  }
  return at;
}

const option = fc.oneof(
  fc.record({ number: fc.constantFrom(1, 4, 6, 11, 12, 15, 17, 23, 27, 28, 60), value: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ number: fc.integer({ min: 0, max: 65535 }), value: fc.uint8Array({ maxLength: 300 }) }),
);
const message: fc.Arbitrary<CoapMessage> = fc.record({
  code: fc.oneof(fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x44, 0x45, 0x84, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5), fc.integer({ min: 0, max: 255 })),
  token: fc.uint8Array({ maxLength: 8 }),
  options: fc.array(option, { maxLength: 6 }),
  payload: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ minLength: 1, maxLength: 64 })),
});

/** The fuzz target. */
export const coapTarget: FuzzTarget = {
  name: "coap",
  interesting: [0x0d, 0x0e, 0x0f, 0xd0, 0xe0, 0xf0, 0xdd, 0xee, 0xff, 0x08, 0x09],
  corpus(seed) {
    return fc.sample(message, { seed, numRuns: 400 }).map((m): Seed => {
      const bytes = encode(m);
      return { bytes, lengthAt: lengthFields(bytes) };
    });
  },
  check: (input) => checkCoap(input),
};
