/**
 * The delta: what `desired` asks for that `reported` does not show yet. AWS computes it by
 * walking `desired`: a field missing from `reported` is in the delta; two objects recurse
 * (so the delta keeps the path to the root); anything else — scalars, arrays, or an object
 * facing a non-object — is in the delta whole when not deep-equal. Fields only in `reported`
 * never appear. Its metadata is `desired`'s metadata for the same nodes.
 */
import { isJsonObject, jsonEquals, ownField, setOwnField } from "../protocols/json-value";
import type { JsonObject } from "../protocols/json-value";
import { toSeconds } from "./shadow-limits";
import { metadataChild, metadataFor } from "./shadow-merge";
import type { ShadowDeltaMessage, ShadowDocument, ShadowMetadataNode, ShadowRecord } from "./shadow-types";

/**
 * `desired` minus `reported`; `undefined` when there is no difference.
 * @example computeDelta({ color: "RED", state: "STOP" }, { color: "GREEN", engine: "ON" })
 * // { color: "RED", state: "STOP" }
 * @example computeDelta({ lights: { color: { r: 255, g: 255 } } }, { lights: { color: { r: 255, g: 0 } } })
 * // { lights: { color: { g: 255 } } }
 */
export function computeDelta(desired: JsonObject | undefined, reported: JsonObject | undefined): JsonObject | undefined {
  if (desired === undefined) return undefined;
  const delta = reported === undefined ? desired : objectDelta(desired, reported);
  return Object.keys(delta).length > 0 ? delta : undefined;
}

function objectDelta(desired: JsonObject, reported: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(desired)) {
    const want = desired[key];
    const have = ownField(reported, key);
    if (have === undefined) setOwnField(out, key, want);
    else if (isJsonObject(want) && isJsonObject(have)) {
      const sub = objectDelta(want, have);
      if (Object.keys(sub).length > 0) setOwnField(out, key, sub);
    } else if (!jsonEquals(want, have)) setOwnField(out, key, want);
  }
  return out;
}

/**
 * Metadata of a delta, taken from `desired`'s metadata: recursing where the delta recursed,
 * the whole subtree where the delta holds a desired value whole. `fallback` stamps nodes the
 * metadata lacks (only a damaged record has such gaps).
 */
export function deltaMetadata(
  delta: JsonObject,
  desiredMeta: ShadowMetadataNode | undefined,
  fallback: number,
): { [key: string]: ShadowMetadataNode } {
  const out: { [key: string]: ShadowMetadataNode } = {};
  for (const key of Object.keys(delta)) {
    const value = delta[key];
    const meta = metadataChild(desiredMeta, key);
    let node: ShadowMetadataNode;
    if (meta === undefined) node = metadataFor(value, fallback);
    else if (isJsonObject(value) && !Array.isArray(meta)) node = deltaMetadata(value, meta, fallback);
    else node = meta;
    setOwnField(out, key, node);
  }
  return out;
}

/** True when the record is a live document (not missing, not deleted). */
export function isLiveShadow(record: ShadowRecord | null | undefined): record is ShadowDocument {
  return record !== null && record !== undefined && !("deleted" in record && record.deleted === true);
}

/**
 * The open delta of a shadow as a `/update/delta` message, or `null` when there is none (no
 * document, or desired matches reported). Used to push the delta to a device as it connects.
 * `nowMs` stamps the message (default: the document's own timestamp).
 * @example
 * const open = deltaOf(record, Date.now());
 * if (open) send({ type: "shadow.delta", shadow: "", ...open });
 */
export function deltaOf(record: ShadowRecord | null | undefined, nowMs?: number): ShadowDeltaMessage | null {
  if (!isLiveShadow(record)) return null;
  const delta = computeDelta(record.state.desired, record.state.reported);
  if (delta === undefined) return null;
  return {
    state: delta,
    metadata: deltaMetadata(delta, record.metadata.desired, record.timestamp),
    version: record.version,
    timestamp: nowMs === undefined ? record.timestamp : toSeconds(nowMs),
  };
}
