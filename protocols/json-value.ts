/**
 * JSON value types shared by every codec and pure module, and the few helpers that every
 * consumer of untrusted JSON needs: a plain-object guard, deep equality, a bounded depth
 * check and the UTF-8 length used by size limits.
 *
 * Objects parsed from the wire can carry an own `__proto__` key (`JSON.parse` creates one),
 * so code here and in its callers reads fields with {@link ownField} and builds objects with
 * {@link setOwnField} instead of `obj[key]` / `obj[key] = v`, which would reach or replace
 * the prototype.
 */

/** A JSON scalar. */
export type JsonPrimitive = string | number | boolean | null;

/** A JSON array. */
export type JsonArray = JsonValue[];

/** A JSON object (a plain object whose values are JSON). */
export type JsonObject = { [key: string]: JsonValue };

/** Any JSON value, as `JSON.parse` returns it. */
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;

/**
 * True for a plain JSON object: not `null`, not an array.
 * @example isJsonObject({ a: 1 }) // true
 * @example isJsonObject([1]) // false
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads an own property; `undefined` when absent. Never reaches the prototype, so a key such
 * as `"__proto__"` or `"constructor"` read from wire data cannot return `Object.prototype`.
 * @example ownField({ a: 1 }, "a") // 1
 * @example ownField({}, "constructor") // undefined
 */
export function ownField<T = JsonValue>(obj: { readonly [key: string]: T }, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/**
 * Defines an own enumerable property, so `"__proto__"` becomes a normal key (as `JSON.parse`
 * makes it) instead of replacing the object's prototype.
 */
export function setOwnField<T = JsonValue>(obj: { [key: string]: T }, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Deep structural equality of two JSON values; object key order is ignored, array order is not.
 * Numbers compare with `===`, so `0` equals `-0` (both serialize as `0`).
 * @example jsonEquals({ a: [1, 2] }, { a: [1, 2] }) // true
 */
export function jsonEquals(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const other = ownField(b, key);
    if (other === undefined || !jsonEquals(ownField(a, key) as JsonValue, other)) return false;
  }
  return true;
}

/**
 * Nesting depth of a value: a scalar is 0, an object or array is 1 + its deepest child.
 * Stops descending once `limit` is passed (returns `limit + 1`), so hostile input cannot
 * exhaust the stack.
 * @example jsonDepth({ a: { b: 1 } }) // 2
 * @example jsonDepth([[[]]], 1) // 2 (exceeds the limit of 1)
 */
export function jsonDepth(value: JsonValue, limit = 1000): number {
  if (typeof value !== "object" || value === null) return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) {
    const d = jsonDepth(child, limit - 1);
    if (d > deepest) deepest = d;
    if (deepest >= limit) break;
  }
  return 1 + deepest;
}

/**
 * How deep {@link isJsonValue} walks by default: past any configured nesting limit
 * (`JSON_MAX_DEPTH` is capped at 1,000, durable-objects/vars.ts), since values reach it only
 * after their parse held them to that limit. Before, 64: deeper data under a higher limit was
 * refused as "not finite numbers".
 */
export const MAX_CHECKED_DEPTH = 1024;

/**
 * Checks that an arbitrary value is JSON (what `JSON.stringify` round-trips unchanged): plain
 * objects and arrays, strings, booleans, `null` and finite numbers; no `undefined`, functions,
 * bigints, class instances or cycles. Depth is bounded by `maxDepth`.
 * @example isJsonValue({ a: [1, "x", null] }) // true
 * @example isJsonValue({ a: undefined }) // false
 */
export function isJsonValue(value: unknown, maxDepth = MAX_CHECKED_DEPTH): value is JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (maxDepth <= 0) return false;
      if (Array.isArray(value)) return value.every((v) => isJsonValue(v, maxDepth - 1));
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(value).every((v) => isJsonValue(v, maxDepth - 1));
    }
    default:
      return false;
  }
}

/**
 * UTF-8 byte length of a string without allocating its encoding (lone surrogates count 3,
 * as `TextEncoder` replaces them with U+FFFD).
 * @example utf8ByteLength("é") // 2
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
