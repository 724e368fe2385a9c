/**
 * The JSON device protocol parser (protocols/json/parse.ts) under fuzzing. The parser is total:
 * it must never throw, and must answer either a message of a known type or an error with a
 * known code. Frames go in as binary (bytes) or text (the bytes decoded leniently), with the
 * default limits or tight ones. Corpus: fast-check device messages serialized.
 */
import fc from "fast-check";
import { parseDeviceMessage } from "../../../protocols/json/parse";
import { FuzzBug, type FuzzTarget, type Verdict } from "../engine";
import type { Seed } from "../mutate";

const TYPES = new Set(["shadow.get", "shadow.update", "shadow.delete", "telemetry", "ping"]);
const CODES = new Set(["too_large", "bad_json", "bad_message", "unknown_type"]);
const lenient = new TextDecoder("utf-8");
const te = new TextEncoder();

/** Parses one frame; throws FuzzBug on an exception or an answer outside the contract. */
export function checkJson(input: Uint8Array, variant: number): Verdict {
  const frame = variant & 1 ? lenient.decode(input) : input;
  const options = variant & 2 ? { maxBytes: 64 + (variant % 256), maxDepth: 1 + ((variant >> 2) % 6) } : {};
  let r: ReturnType<typeof parseDeviceMessage>;
  try {
    r = parseDeviceMessage(frame, options);
  } catch (e) {
    throw new FuzzBug(`parseDeviceMessage threw ${String(e)}`, e);
  }
  if (r.ok) {
    if (!TYPES.has(r.message.type)) throw new FuzzBug(`accepted unknown type ${JSON.stringify(r.message.type)}`);
    return "accepted";
  }
  if (!CODES.has(r.error.code) || typeof r.error.message !== "string") throw new FuzzBug(`error outside the contract: ${JSON.stringify(r.error)}`);
  return "rejected";
}

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });
const shadowName = fc.constantFrom(undefined, "", "wifi", "bad name", "x".repeat(65));
const message = fc.oneof(
  fc.record({ type: fc.constant("telemetry"), data: fc.dictionary(fc.string({ maxLength: 8 }), json, { minKeys: 1, maxKeys: 4 }), ts: fc.option(fc.nat(), { nil: undefined }) }),
  fc.record({ type: fc.constant("shadow.update"), shadow: shadowName, state: fc.record({ reported: fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 3 }) }), version: fc.option(fc.nat(), { nil: undefined }), clientToken: fc.option(fc.string(), { nil: undefined }) }),
  fc.record({ type: fc.constantFrom("shadow.get", "shadow.delete"), shadow: shadowName, clientToken: fc.option(fc.string(), { nil: undefined }) }),
  fc.record({ type: fc.constant("ping"), id: fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined }) }),
  fc.record({ type: fc.string({ maxLength: 12 }), extra: json }),
);

/** The fuzz target. */
export const jsonTarget: FuzzTarget = {
  name: "json",
  interesting: [...'{}[]":,\\-0e.'].map((c) => c.charCodeAt(0)).concat([0x00, 0xc3, 0xed, 0xef, 0xf0, 0xff]),
  corpus(seed) {
    const fixed = ['{"type":"telemetry","data":{"temp":21.5}}', '{"type":"ping","id":1}', '{"type":"shadow.update","state":{"reported":{"a":{"b":[1,2,{"c":null}]}}},"version":3}', `{"type":"telemetry","data":${"[".repeat(40)}${"]".repeat(40)}}`];
    return [...fixed, ...fc.sample(message, { seed, numRuns: 400 }).map((m) => JSON.stringify(m))].map((s): Seed => ({ bytes: te.encode(s) }));
  },
  check: (input, variant) => checkJson(input, variant),
};
