/**
 * The shadow update that turns one `desired` object into another. The console edits desired
 * state as a whole document, but a shadow update merges (RFC 7396: objects merge, `null`
 * deletes), so a field the person removed must be sent as `null` or it would stay.
 */
import { isJsonObject, jsonEquals, ownField, setOwnField, type JsonObject } from "../../../protocols/json-value";

/**
 * The smallest merge patch from `before` to `after`: changed and new fields, `null` for removed ones.
 * An empty result means nothing changed.
 * @example desiredPatch({ color: "red", level: 3 }, { color: "blue" }) // { color: "blue", level: null }
 */
export function desiredPatch(before: JsonObject | undefined, after: JsonObject): JsonObject {
  const out: JsonObject = {};
  const old = before ?? {};
  for (const key of Object.keys(old)) {
    const next = ownField(after, key);
    const was = old[key];
    if (next === undefined || next === null) {
      setOwnField(out, key, null);
    } else if (isJsonObject(was) && isJsonObject(next)) {
      const sub = desiredPatch(was, next);
      if (Object.keys(sub).length > 0) setOwnField(out, key, sub);
    } else if (was === undefined || !jsonEquals(was, next)) {
      setOwnField(out, key, next);
    }
  }
  for (const key of Object.keys(after)) {
    const v = after[key];
    if (ownField(old, key) === undefined && v !== null && v !== undefined) setOwnField(out, key, v);
  }
  return out;
}
