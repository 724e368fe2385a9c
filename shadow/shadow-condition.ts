/**
 * The condition of a conditional shadow write (HTTP If-None-Match, CoAP If-None-Match and the
 * empty If-Match), checked by the device's object in the same step as the write, so two writers
 * that both pass a check cannot both succeed (RFC 9110 §13.1.2, RFC 7252 §5.10.8). An If-Match
 * naming versions needs none: it pins the write's `version`, which the shadow itself checks.
 */
import type { ShadowRecord } from "./shadow-types";
import { isLiveShadow } from "./shadow-delta";

export interface ShadowCondition {
  /** The shadow must exist (a live document, not deleted). */
  exists?: true;
  /** The shadow must not exist at any of these versions; `"*"`: must not exist at all. */
  notAt?: "*" | number[];
}

/**
 * Whether `record` (the shadow as the write runs) meets `condition`.
 * @example conditionHolds(null, { notAt: "*" }) // true: create-only on a missing shadow
 */
export function conditionHolds(record: ShadowRecord | null, condition: ShadowCondition): boolean {
  const live = isLiveShadow(record);
  if (condition.exists && !live) return false;
  const notAt = condition.notAt;
  if (notAt === undefined || !live) return true;
  return notAt !== "*" && !notAt.includes(record.version);
}
