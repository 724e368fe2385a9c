/**
 * Merging an update into a shadow's state and metadata.
 *
 * State: RFC 7396 merge-patch semantics, which is what AWS describes — objects merge
 * recursively, arrays and scalars replace whole, `null` deletes — plus one AWS rule: the stored
 * state holds no empty objects (an object whose last field is deleted disappears, and a
 * section that becomes empty is removed). Arrays are values, so nothing inside them is pruned.
 *
 * Metadata mirrors the stored state: `{timestamp}` per scalar, per-element arrays for arrays
 * (AWS's layout), objects per field. Nodes the update touched get the update's timestamp; the
 * rest keep theirs.
 *
 * Inputs are never mutated; results share untouched subtrees with them.
 */
import { isJsonObject, ownField, setOwnField } from "../protocols/json-value";
import type { JsonObject, JsonValue } from "../protocols/json-value";
import type { ShadowMetadata, ShadowMetadataNode, ShadowState, ShadowStatePatch } from "./shadow-types";

const SECTIONS = ["desired", "reported"] as const;

/**
 * Merges `patch` into `base` (either may be absent) and prunes empty objects.
 * @example mergeObject({ a: 1, b: { c: 2 } }, { b: { c: null }, d: [1] }) // { a: 1, d: [1] }
 */
export function mergeObject(base: JsonObject | undefined, patch: JsonObject): JsonObject {
  const out: JsonObject = {};
  const put = (key: string, value: JsonValue | null): void => {
    if (value === null) return;
    if (isJsonObject(value)) {
      const old = base === undefined ? undefined : ownField(base, key);
      const merged = mergeObject(isJsonObject(old) ? old : undefined, value);
      if (Object.keys(merged).length > 0) setOwnField(out, key, merged);
      return;
    }
    setOwnField(out, key, value);
  };
  // Existing keys first, in their order, so an update does not reshuffle the document.
  if (base !== undefined) {
    for (const key of Object.keys(base)) {
      const change = ownField(patch, key);
      if (change === undefined) setOwnField(out, key, base[key]);
      else put(key, change);
    }
  }
  for (const key of Object.keys(patch)) {
    if (base !== undefined && ownField(base, key) !== undefined) continue;
    put(key, patch[key]);
  }
  return out;
}

/**
 * Metadata for a value written at `timestamp` (epoch seconds). A `null` (a deletion, as echoed in
 * `/update/accepted`) gets a leaf like any scalar.
 * @example metadataFor({ a: 1, b: [true, {}] }, 7) // { a: {timestamp: 7}, b: [{timestamp: 7}, {}] }
 */
export function metadataFor(value: JsonValue, timestamp: number): ShadowMetadataNode {
  if (Array.isArray(value)) return value.map((v) => metadataFor(v, timestamp));
  if (isJsonObject(value)) {
    const out: { [key: string]: ShadowMetadataNode } = {};
    for (const key of Object.keys(value)) setOwnField(out, key, metadataFor(value[key], timestamp));
    return out;
  }
  return { timestamp };
}

/** The child metadata of an object node; `undefined` for leaves, arrays and absent keys. */
export function metadataChild(meta: ShadowMetadataNode | undefined, key: string): ShadowMetadataNode | undefined {
  if (meta === undefined || Array.isArray(meta)) return undefined;
  const child: unknown = ownField<unknown>(meta, key);
  return typeof child === "object" && child !== null ? (child as ShadowMetadataNode) : undefined;
}

/**
 * Metadata for merged object `state`: fields named in `patch` get `timestamp`, the others keep
 * `previous` (or get `timestamp` if `previous` lacks them, which only a damaged record causes).
 */
export function mergeMetadata(
  state: JsonObject,
  previous: ShadowMetadataNode | undefined,
  patch: JsonObject | undefined,
  timestamp: number,
): { [key: string]: ShadowMetadataNode } {
  const out: { [key: string]: ShadowMetadataNode } = {};
  for (const key of Object.keys(state)) {
    const value = state[key];
    const change = patch === undefined ? undefined : ownField(patch, key);
    const old = metadataChild(previous, key);
    let meta: ShadowMetadataNode;
    // Only an untouched field can reuse old metadata; a field an object patch merged into
    // recurses, so its untouched children keep theirs.
    if (change === undefined) meta = old ?? metadataFor(value, timestamp);
    else if (isJsonObject(value) && isJsonObject(change)) meta = mergeMetadata(value, old, change, timestamp);
    else meta = metadataFor(value, timestamp);
    setOwnField(out, key, meta);
  }
  return out;
}

/**
 * Applies a validated update `state` to a document's state and metadata. `patch === null`
 * clears both sections (AWS: setting the state to null empties the shadow without deleting it).
 * @example applyPatch({ reported: { t: 1 } }, { reported: { t: { timestamp: 5 } } }, { desired: { t: 2 } }, 9)
 */
export function applyPatch(
  state: ShadowState,
  metadata: ShadowMetadata,
  patch: ShadowStatePatch | null,
  timestamp: number,
): { state: ShadowState; metadata: ShadowMetadata } {
  if (patch === null) return { state: {}, metadata: {} };
  const nextState: ShadowState = {};
  const nextMeta: ShadowMetadata = {};
  for (const section of SECTIONS) {
    const change = patch[section];
    const current = state[section];
    if (change === undefined) {
      if (current !== undefined) {
        nextState[section] = current;
        nextMeta[section] = metadata[section] ?? metadataFor(current, timestamp);
      }
      continue;
    }
    if (change === null) continue;
    const merged = mergeObject(current, change);
    if (Object.keys(merged).length === 0) continue;
    nextState[section] = merged;
    nextMeta[section] = mergeMetadata(merged, metadata[section], change, timestamp);
  }
  return { state: nextState, metadata: nextMeta };
}

/**
 * Metadata echoed in `/update/accepted`: one entry per requested node, deletions included.
 * @example patchMetadata({ desired: { a: null } }, 9) // { desired: { a: { timestamp: 9 } } }
 */
export function patchMetadata(patch: ShadowStatePatch | null, timestamp: number): ShadowMetadata {
  const out: ShadowMetadata = {};
  if (patch === null) return out;
  for (const section of SECTIONS) {
    const change = patch[section];
    if (change !== undefined) out[section] = metadataFor(change, timestamp);
  }
  return out;
}
