/** Typed JSON: values, objects only where asked, and mistakes placed at line and column. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { describeError, jsonErrorOffset, lineColumn, parseJson, parseJsonObject } from "./json-text";

describe("lineColumn", () => {
  it.each([
    ["abc", 0, 1, 1],
    ["abc", 2, 1, 3],
    ["a\nbc", 2, 2, 1],
    ["a\nbc", 4, 2, 3],
    ["a\n\n", 3, 3, 1],
  ])("%j at %i is line %i column %i", (text, offset, line, column) => {
    expect(lineColumn(text, offset)).toEqual({ line, column });
  });
});

describe("parseJson", () => {
  it("parses any value", () => {
    expect(parseJson('{"a":[1,true,null]}')).toEqual({ ok: true, value: { a: [1, true, null] } });
    expect(parseJson("3")).toEqual({ ok: true, value: 3 });
  });

  it("takes an empty text as the given default only", () => {
    expect(parseJson("  ", null)).toEqual({ ok: true, value: null });
    expect(parseJson("").ok).toBe(false);
  });

  it("places a mistake on its line", () => {
    const r = parseJson('{\n  "a": 1,\n  "b": ?\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.line).toBe(3);
      expect(r.column).toBe(8);
      expect(describeError(r)).toMatch(/^Line 3, column 8: /);
    }
  });

  it("places a truncated document at its end", () => {
    const r = parseJson('{\n  "a": [1,');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.line).toBe(2);
  });
});

describe("parseJsonObject", () => {
  it("refuses values that are not objects", () => {
    for (const text of ["[]", "1", '"x"', "null"]) {
      const r = parseJsonObject(text, "Desired state");
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toContain("Desired state must be a JSON object");
    }
    expect(parseJsonObject('{"on":true}')).toEqual({ ok: true, value: { on: true } });
  });
});

describe("jsonErrorOffset", () => {
  it.each([
    ['{"a":1,}', 7],
    ["[1,2", 4],
    ["tru", 3],
    ['"a\\x"', 3],
    ["01", 1],
    ["{} x", 3],
    ["", 0],
  ])("%j fails at %i", (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it("agrees with JSON.parse on what is JSON", () => {
    const valid = fc.jsonValue().map((v) => JSON.stringify(v, null, 2));
    const near = fc.tuple(valid, fc.nat(), fc.constantFrom("", ",", "}", "]", '"', "x", "\\", "-", "1", " ")).map(([t, at, ins]) => {
      const k = at % (t.length + 1);
      return t.slice(0, k) + ins + t.slice(k);
    });
    fc.assert(
      fc.property(fc.oneof(valid, near, fc.string()), (text) => {
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        expect(jsonErrorOffset(text) === -1).toBe(ok);
      }),
      { numRuns: 2000 },
    );
  });
});
