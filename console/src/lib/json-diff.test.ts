/** JSON differences: spec cases, and the property that the changes rebuild the second value. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { diffJson, formatPath, leafPaths, type Change } from "./json-diff";
import { isJsonObject, type JsonObject, type JsonValue } from "../../../protocols/json-value";

/** Applies changes to a copy of `a` (the inverse of diffJson, for the property). */
function apply(a: JsonValue | undefined, changes: Change[]): JsonValue | undefined {
  let root: JsonValue | undefined = structuredClone(a);
  for (const c of changes) {
    if (c.path.length === 0) {
      root = c.kind === "removed" ? undefined : c.after;
      continue;
    }
    let node = root as JsonObject;
    for (const k of c.path.slice(0, -1)) node = node[k] as JsonObject;
    const last = c.path[c.path.length - 1];
    if (c.kind === "removed") delete node[last];
    else Object.defineProperty(node, last, { value: c.after, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

describe("diffJson", () => {
  it("names removed, changed and added fields in document order", () => {
    expect(diffJson({ a: 1, b: { c: 2, e: [1] } }, { b: { c: 3, e: [1] }, d: true })).toEqual([
      { kind: "removed", path: ["a"], before: 1 },
      { kind: "changed", path: ["b", "c"], before: 2, after: 3 },
      { kind: "added", path: ["d"], after: true },
    ]);
  });

  it("compares arrays whole, and an object against a scalar whole", () => {
    expect(diffJson({ a: [1, 2] }, { a: [1, 3] })).toEqual([{ kind: "changed", path: ["a"], before: [1, 2], after: [1, 3] }]);
    expect(diffJson({ a: { b: 1 } }, { a: 5 })).toEqual([{ kind: "changed", path: ["a"], before: { b: 1 }, after: 5 }]);
  });

  it("treats an absent side as added or removed whole", () => {
    expect(diffJson(undefined, { a: 1 })).toEqual([{ kind: "added", path: [], after: { a: 1 } }]);
    expect(diffJson({ a: 1 }, undefined)).toEqual([{ kind: "removed", path: [], before: { a: 1 } }]);
    expect(diffJson(undefined, undefined)).toEqual([]);
  });

  it("finds no change between equal values, and rebuilds b from a and the changes", () => {
    const json = fc.jsonValue() as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(diffJson(a, structuredClone(a))).toEqual([]);
        const rebuilt = apply(a, diffJson(a, b));
        // Key order may differ after additions: compare canonically.
        expect(canonical(rebuilt)).toEqual(canonical(b));
      }),
    );
  });
});

function canonical(v: JsonValue | undefined): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isJsonObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  // -0 and 0 are equal JSON numbers.
  return v === 0 ? 0 : v;
}

describe("leafPaths and formatPath", () => {
  it("lists leaves, empty objects included", () => {
    expect(leafPaths({ a: { b: 1, c: [2] }, d: {} })).toEqual([["a", "b"], ["a", "c"], ["d"]]);
  });

  it("writes paths readably", () => {
    expect(formatPath(["lights", "front door", "on"])).toBe('lights["front door"].on');
    expect(formatPath([])).toBe("(whole document)");
    expect(formatPath(["0"])).toBe('["0"]');
  });
});
