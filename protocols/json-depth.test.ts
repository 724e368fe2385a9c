import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseJsonBounded, scanJsonDepth } from "./json-depth";
import { isJsonValue } from "./json-value";
import { jsonDepth, type JsonValue } from "./json-value";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("scanJsonDepth", () => {
  it.each([
    ["1", 0, { ok: true, depth: 0 }],
    ['"[[["', 0, { ok: true, depth: 0 }],
    ["{}", 1, { ok: true, depth: 1 }],
    ["{}", 0, { ok: false, offset: 0 }],
    ['{"a":[1]}', 2, { ok: true, depth: 2 }],
    ['{"a":[1]}', 1, { ok: false, offset: 5 }],
    ["[[[]]]", 2, { ok: false, offset: 2 }],
    ['["\\"[[["]', 1, { ok: true, depth: 1 }],
    ['["\\\\", [[]]]', 3, { ok: true, depth: 3 }],
    ['[{"k\\u005b": "é[["}, []]', 2, { ok: true, depth: 2 }],
    ["[1], [2], [3]", 1, { ok: true, depth: 1 }],
  ] as const)("%s with limit %i", (text, limit, want) => {
    expect(scanJsonDepth(text, limit)).toEqual(want);
    expect(scanJsonDepth(bytes(text), limit).ok).toBe(want.ok);
  });

  it("stops early on a 5,000-level body", () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    expect(scanJsonDepth(deep, 32)).toEqual({ ok: false, offset: 32 });
    expect(scanJsonDepth(bytes(deep), 32)).toEqual({ ok: false, offset: 32 });
  });

  it("agrees with jsonDepth on every value (text and bytes)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (value, limit) => {
        const text = JSON.stringify(value);
        const depth = jsonDepth(value as JsonValue);
        const scan = scanJsonDepth(text, limit);
        expect(scan.ok).toBe(depth <= limit);
        if (scan.ok) expect(scan.depth).toBe(depth);
        expect(scanJsonDepth(bytes(text), limit)).toEqual(scan.ok ? scan : { ok: false, offset: expect.any(Number) });
      }),
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => void scanJsonDepth(s, 3)));
  });
});

describe("parseJsonBounded", () => {
  it("parses, refuses depth before parsing, and reports syntax", () => {
    expect(parseJsonBounded('{"a":1}', 32)).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBounded("[[1]]", 1)).toMatchObject({ ok: false, reason: "too_deep" });
    expect(parseJsonBounded("{nope", 32)).toMatchObject({ ok: false, reason: "syntax" });
  });
});

describe("isJsonValue's depth", () => {
  it("walks past any configured nesting limit (capped at 1,000): data 100 deep under JSON_MAX_DEPTH=200 is JSON", () => {
    // before: 64, and deeper data was refused as "not finite numbers" whatever JSON_MAX_DEPTH said
    const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);
    expect(isJsonValue(deep(100))).toBe(true);
    expect(isJsonValue(deep(1000))).toBe(true);
    expect(isJsonValue(deep(2000))).toBe(false);
  });
});
