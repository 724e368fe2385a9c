/**
 * The patch from one desired document to another, checked against the hub's own merge
 * (shadow/shadow-merge.ts): merging the patch into the old document gives the new one.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { desiredPatch } from "./desired-patch";
import { mergeObject } from "../../../shadow/shadow-merge";
import type { JsonObject } from "../../../protocols/json-value";

describe("desiredPatch", () => {
  it.each<[JsonObject | undefined, JsonObject, JsonObject]>([
    [{ color: "red", level: 3 }, { color: "blue" }, { color: "blue", level: null }],
    [undefined, { on: true }, { on: true }],
    [{ a: { b: 1, c: 2 } }, { a: { b: 1 } }, { a: { c: null } }],
    [{ a: { b: 1 } }, { a: { b: 1 } }, {}],
    [{ a: [1, 2] }, { a: [1, 2, 3] }, { a: [1, 2, 3] }],
    [{ a: 1 }, { a: { b: 2 } }, { a: { b: 2 } }],
    [{ a: { b: 2 } }, { a: 1 }, { a: 1 }],
    [{ a: 1 }, { a: null }, { a: null }],
  ])("%j → %j", (before, after, patch) => {
    expect(desiredPatch(before, after)).toEqual(patch);
  });

  it("merged into the old document (as the hub merges) gives the new one", () => {
    const obj = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 })) as fc.Arbitrary<JsonObject>;
    fc.assert(
      fc.property(obj, obj, (before, after) => {
        // Both sides as the hub stores them: merged from nothing (no nulls, no empty objects).
        const stored = mergeObject(undefined, before);
        const want = mergeObject(undefined, after);
        expect(mergeObject(stored, desiredPatch(stored, want))).toEqual(want);
      }),
    );
  });
});
