/**
 * Differences between two JSON values, for the shadow history's "compare two versions" view
 * and for marking the fields a delta names. Objects are compared field by field; arrays and
 * scalars as whole values, as the shadow itself treats them (arrays are replaced whole).
 */
import { isJsonObject, jsonEquals, ownField, type JsonObject, type JsonValue } from "../../../protocols/json-value";

/** One difference: the field's path from the root, and its value before and after. */
export type Change =
  | { kind: "added"; path: string[]; after: JsonValue }
  | { kind: "removed"; path: string[]; before: JsonValue }
  | { kind: "changed"; path: string[]; before: JsonValue; after: JsonValue };

/**
 * The changes that turn `a` into `b` (either may be undefined: absent), in document order.
 * @example diffJson({ a: 1, b: { c: 2 } }, { b: { c: 3 }, d: true })
 * // [{kind:"removed",path:["a"],before:1}, {kind:"changed",path:["b","c"],before:2,after:3}, {kind:"added",path:["d"],after:true}]
 */
export function diffJson(a: JsonValue | undefined, b: JsonValue | undefined, path: string[] = []): Change[] {
  if (a === undefined && b === undefined) return [];
  if (a === undefined) return [{ kind: "added", path, after: b as JsonValue }];
  if (b === undefined) return [{ kind: "removed", path, before: a }];
  if (isJsonObject(a) && isJsonObject(b)) {
    const out: Change[] = [];
    for (const k of Object.keys(a)) out.push(...diffJson(a[k], ownField(b, k), [...path, k]));
    for (const k of Object.keys(b)) if (ownField(a, k) === undefined) out.push({ kind: "added", path: [...path, k], after: b[k] as JsonValue });
    return out;
  }
  return jsonEquals(a, b) ? [] : [{ kind: "changed", path, before: a, after: b }];
}

/**
 * Paths of every leaf of an object (a non-object value, or an empty object), for highlighting.
 * @example leafPaths({ a: { b: 1, c: [2] }, d: {} }) // [["a","b"], ["a","c"], ["d"]]
 */
export function leafPaths(obj: JsonObject, path: string[] = []): string[][] {
  const out: string[][] = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (isJsonObject(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, [...path, k]));
    else out.push([...path, k]);
  }
  return out;
}

/**
 * A path as people read it: dotted names, brackets for names that are not plain identifiers.
 * @example formatPath(["lights", "front door", "on"]) // 'lights["front door"].on'
 */
export function formatPath(path: string[]): string {
  if (path.length === 0) return "(whole document)";
  return path.map((k, i) => (/^[A-Za-z_$][\w$-]*$/.test(k) ? (i === 0 ? k : `.${k}`) : `[${JSON.stringify(k)}]`)).join("");
}
