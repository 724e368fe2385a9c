/**
 * Bounded JSON nesting, checked before anything parses or walks a value. One linear pass over
 * the text (or its UTF-8 bytes) counts open `[`/`{` outside strings, so a 10 KB body nested
 * 5,000 levels is refused after a few microseconds instead of building a 5,000-level object
 * that a recursive walk (validation, structured clone, merge) would then overflow the stack on.
 *
 * Depth counts containers as `jsonDepth` in `json-value.ts` does: a scalar is 0, `{}` is 1,
 * `{"a":[1]}` is 2. The scan does not validate JSON; `JSON.parse` still does that afterwards.
 */

/** The default deepest nesting of a JSON body or message (`JSON_MAX_DEPTH`). */
export const DEFAULT_JSON_MAX_DEPTH = 32;

/** Within the limit, or the nesting that exceeded it and the offset (code unit or byte) where. */
export type DepthScan = { ok: true; depth: number } | { ok: false; offset: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Scans JSON text or UTF-8 bytes for nesting deeper than `maxDepth`, stopping at the first
 * container that goes past it. Brackets and quotes are ASCII and never occur inside a UTF-8
 * multi-byte sequence, so bytes and text scan alike.
 * @example scanJsonDepth('{"a":[1]}', 2) // { ok: true, depth: 2 }
 * @example scanJsonDepth("[[[]]]", 2) // { ok: false, offset: 2 }
 * @example scanJsonDepth('["[[["]', 1) // { ok: true, depth: 1 } (brackets in strings do not count)
 */
export function scanJsonDepth(input: string | Uint8Array, maxDepth: number): DepthScan {
  const text = typeof input === "string";
  const length = input.length;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = text ? input.charCodeAt(i) : (input as Uint8Array)[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > maxDepth) return { ok: false, offset: i };
      if (depth > deepest) deepest = depth;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return { ok: true, depth: deepest };
}

/** Why bounded parsing failed: nesting past the limit, or not JSON at all. */
export type BoundedParse = { ok: true; value: unknown } | { ok: false; reason: "too_deep" | "syntax"; message: string };

/**
 * `JSON.parse` behind the depth scan: the one way untrusted JSON text is parsed.
 * @example parseJsonBounded('{"a":1}', 32) // { ok: true, value: { a: 1 } }
 * @example parseJsonBounded("[[1]]", 1) // { ok: false, reason: "too_deep", message: "JSON nests deeper than 1 levels (at offset 1)" }
 */
export function parseJsonBounded(text: string, maxDepth: number): BoundedParse {
  const scan = scanJsonDepth(text, maxDepth);
  if (!scan.ok) return { ok: false, reason: "too_deep", message: `JSON nests deeper than ${maxDepth} levels (at offset ${scan.offset})` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: "syntax", message: "not valid JSON" };
  }
}
