/**
 * Fuzzing the JSON device protocol parser: it is total (never throws) and answers only known
 * message types or known error codes, for any text, any bytes, any JSON value, and the mutated
 * device messages of the shared target that `npm run fuzz -- --codec json` runs a million times.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeFailures, fuzz } from "../../test/fuzz/engine";
import { checkJson, jsonTarget } from "../../test/fuzz/targets/json";

const te = new TextEncoder();

describe("JSON device parser fuzzing", () => {
  it("any string, as text and as a binary frame, with default and tight limits", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.nat(), (s, variant) => {
        checkJson(te.encode(s), variant);
      }),
      { numRuns: 3000 },
    );
  });

  it("any JSON value wrapped as a message of any type", () => {
    const frame = fc.record({ type: fc.oneof(fc.constantFrom("telemetry", "ping", "shadow.update", "shadow.get", "shadow.delete"), fc.string()), v: fc.jsonValue() }, { requiredKeys: [] })
      .chain((m) => fc.tuple(fc.constant(m), fc.jsonValue()).map(([o, extra]) => ({ ...o, data: extra, state: extra, id: extra, version: extra, shadow: extra })));
    fc.assert(
      fc.property(frame, fc.nat(), (m, variant) => {
        checkJson(te.encode(JSON.stringify(m)), variant);
      }),
      { numRuns: 3000 },
    );
  });

  it("20,000 inputs of the shared target: never throws, only contract answers", () => {
    const summary = fuzz(jsonTarget, { seed: 0x150, inputs: 20_000 });
    expect(summary.failures, describeFailures(summary)).toEqual([]);
    expect(summary.accepted).toBeGreaterThan(200);
  });
});
