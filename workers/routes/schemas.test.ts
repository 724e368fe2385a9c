import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { z } from "@hono/zod-openapi";
import { JsonObjectSchema, queryInteger } from "./schemas";

const rebuilt = z.record(z.string(), z.unknown());

describe("JsonObjectSchema", () => {
  it("keeps an own __proto__ key, as JSON.parse made it (z.record dropped it into the prototype)", () => {
    const parsed = JSON.parse('{"__proto__":{"via":"http"},"y":1}') as Record<string, unknown>;
    const out = JsonObjectSchema.parse(parsed);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"via":"http"},"y":1}');
    expect(Object.keys(out)).toEqual(["__proto__", "y"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    // Inside a strict object, as in request bodies.
    const body = z.strictObject({ data: JsonObjectSchema }).parse(JSON.parse('{"data":{"__proto__":1}}'));
    expect(JSON.stringify(body)).toBe('{"data":{"__proto__":1}}');
  });

  it("refuses what z.record refuses, with the same issues", () => {
    for (const bad of [null, [], [1], "x", 5, true, undefined]) {
      const ours = JsonObjectSchema.safeParse(bad);
      expect(ours.success, JSON.stringify(bad)).toBe(false);
      expect(ours.error?.issues).toEqual(rebuilt.safeParse(bad).error?.issues);
    }
  });

  it("hands on any JSON object unchanged (property)", () => {
    const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "toString", "prototype"));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: "small" }, fc.jsonValue({ maxDepth: 1 }), fc.dictionary(key, tie("v")), fc.array(tie("v"), { maxLength: 3 })),
    })).v;
    fc.assert(
      fc.property(fc.dictionary(key, value), (obj) => {
        const text = JSON.stringify(obj);
        const input = JSON.parse(text) as Record<string, unknown>;
        const out = JsonObjectSchema.parse(input);
        expect(out).toBe(input);
        expect(JSON.stringify(out)).toBe(text);
      }),
    );
  });
});

describe("queryInteger (limit, version, from_version)", () => {
  const Q = z.object({ limit: queryInteger(z.number().int().min(1).max(1000)).default(100) });
  it.each([["5", 5], ["1000", 1000], ["007", 7], [undefined, 100]])("takes %j as %j", (raw, n) => {
    expect(Q.parse({ limit: raw })).toEqual({ limit: n });
  });
  it.each(["1e2", " 3", "3 ", "0x10", "", "+4", "-1", "1.5", "abc", "0", "1001", "9".repeat(16)])("refuses %j", (raw) => {
    expect(Q.safeParse({ limit: raw }).success).toBe(false);
  });
});
