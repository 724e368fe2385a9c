/**
 * Device shadows with AWS IoT Device Shadow semantics, as a pure function:
 * `applyShadow(record, request, now, limits) → { document, response, events }`.
 * The owning object stores `document` when `changed`, sends `response` to the requester and
 * publishes `events`; nothing here does I/O.
 *
 * Decisions where AWS leaves room:
 * - A deleted shadow is kept as a tombstone `{ deleted: true, version, timestamp }`, so the next
 *   update continues at `version + 1` (AWS does this for 48 h; we never forget, so versions only
 *   grow). A `version` in a request is compared with that remembered version (0 when the shadow
 *   never existed).
 * - Array metadata is AWS's: one metadata node per element (`[]` for an empty array).
 * - The classic shadow's name is `""` (see `validateShadowName`).
 * - `delta` events are emitted when the delta changed (with `state: {}` when it cleared); a
 *   delete emits only `documents` (with `current: null`). AWS publishes only non-empty deltas;
 *   the caller filters.
 */
import { jsonDepth, jsonEquals, utf8ByteLength } from "../protocols/json-value";
import { computeDelta, deltaMetadata, isLiveShadow } from "./shadow-delta";
import { DEFAULT_SHADOW_LIMITS, SHADOW_ERRORS, notFoundMessage, shadowError, toSeconds, tooDeepMessage, tooLargeMessage } from "./shadow-limits";
import type { ShadowLimits } from "./shadow-limits";
import { applyPatch, patchMetadata } from "./shadow-merge";
import { checkShadowRequest } from "./shadow-request";
import type {
  ShadowDeleteRequest,
  ShadowDocument,
  ShadowEvent,
  ShadowGetRequest,
  ShadowOp,
  ShadowRecord,
  ShadowResult,
  ShadowSnapshot,
  ShadowUpdateRequest,
} from "./shadow-types";

export type * from "./shadow-types";
export type { ShadowLimits, ShadowNameResult } from "./shadow-limits";
export { DEFAULT_SHADOW_LIMITS, CLASSIC_SHADOW, SHADOW_ERRORS, validateShadowName } from "./shadow-limits";
export { computeDelta, deltaOf, isLiveShadow } from "./shadow-delta";
export { checkShadowRequest } from "./shadow-request";
export type { CheckedShadowRequest } from "./shadow-request";

/**
 * Applies one request to a shadow record (`null`/`undefined` when the shadow never existed).
 * `now` is epoch milliseconds; the shadow's own timestamps are epoch seconds, like AWS's.
 * Never throws on bad input: invalid requests come back as `/rejected` bodies.
 * @example
 * const r1 = applyShadow(null, { kind: "update", state: { desired: { color: "RED" } } }, Date.now());
 * // r1.document.version === 1; r1.events has "documents" and a "delta" { color: "RED" }
 * const r2 = applyShadow(r1.document, { kind: "update", state: { reported: { color: "RED" } }, version: 1 }, Date.now());
 * // r2.events has a "delta" with state {} (cleared)
 */
export function applyShadow(
  record: ShadowRecord | null | undefined,
  request: ShadowGetRequest | ShadowUpdateRequest | ShadowDeleteRequest,
  now: number,
  limits: ShadowLimits = DEFAULT_SHADOW_LIMITS,
): ShadowResult {
  const current = record ?? null;
  const timestamp = toSeconds(now);
  const checked = checkShadowRequest(request, limits, timestamp);
  if (!checked.ok) return rejected(current, checked.op, checked.error.code, checked.error.message, timestamp, checked.error.clientToken);
  const req = checked.request;
  switch (req.kind) {
    case "get":
      return get(current, req, timestamp);
    case "update":
      return update(current, req, timestamp, limits);
    case "delete":
      return remove(current, req, timestamp);
  }
}

function rejected(
  current: ShadowRecord | null,
  op: ShadowOp,
  code: number,
  message: string,
  timestamp: number,
  clientToken?: string,
): ShadowResult {
  const body = shadowError(code, message, timestamp, clientToken);
  return { document: current, changed: false, response: { status: "rejected", op, body }, events: [] };
}

const token = (clientToken: string | undefined): { clientToken?: string } =>
  clientToken === undefined ? {} : { clientToken };

const snapshot = (doc: ShadowDocument): ShadowSnapshot => ({
  state: doc.state,
  metadata: doc.metadata,
  version: doc.version,
});

function get(current: ShadowRecord | null, req: ShadowGetRequest, timestamp: number): ShadowResult {
  if (!isLiveShadow(current)) return rejected(current, "get", 404, notFoundMessage(req.name ?? ""), timestamp, req.clientToken);
  const delta = computeDelta(current.state.desired, current.state.reported);
  const body = {
    state: delta === undefined ? current.state : { ...current.state, delta },
    metadata: current.metadata,
    version: current.version,
    timestamp,
    ...token(req.clientToken),
  };
  return { document: current, changed: false, response: { status: "accepted", op: "get", body }, events: [] };
}

function update(current: ShadowRecord | null, req: ShadowUpdateRequest, timestamp: number, limits: ShadowLimits): ShadowResult {
  const live = isLiveShadow(current) ? current : null;
  const version = current?.version ?? 0;
  if (req.version !== undefined && req.version !== version) {
    return rejected(current, "update", 409, SHADOW_ERRORS.versionConflict, timestamp, req.clientToken);
  }
  const next = applyPatch(live?.state ?? {}, live?.metadata ?? {}, req.state, timestamp);
  // The merged document can outgrow limits the request alone respected (it adds to what is
  // stored), so both are checked on the result too.
  if (utf8ByteLength(JSON.stringify(next.state)) > limits.maxDocumentBytes) {
    return rejected(current, "update", 413, tooLargeMessage(limits.maxDocumentBytes), timestamp, req.clientToken);
  }
  for (const section of [next.state.desired, next.state.reported]) {
    if (section !== undefined && jsonDepth(section, limits.maxDepth) > limits.maxDepth) {
      return rejected(current, "update", 400, tooDeepMessage(limits.maxDepth), timestamp, req.clientToken);
    }
  }
  const document: ShadowDocument = { state: next.state, metadata: next.metadata, version: version + 1, timestamp };
  const body = {
    state: req.state,
    metadata: patchMetadata(req.state, timestamp),
    version: document.version,
    timestamp,
    ...token(req.clientToken),
  };
  const events: ShadowEvent[] = [
    {
      type: "documents",
      message: { previous: live && snapshot(live), current: snapshot(document), timestamp, ...token(req.clientToken) },
    },
  ];
  const before = live ? computeDelta(live.state.desired, live.state.reported) : undefined;
  const after = computeDelta(document.state.desired, document.state.reported);
  if (!jsonEquals(before ?? {}, after ?? {})) {
    events.push({
      type: "delta",
      message: {
        state: after ?? {},
        metadata: after === undefined ? {} : deltaMetadata(after, document.metadata.desired, timestamp),
        version: document.version,
        timestamp,
        ...token(req.clientToken),
      },
    });
  }
  return { document, changed: true, response: { status: "accepted", op: "update", body }, events };
}

function remove(current: ShadowRecord | null, req: ShadowDeleteRequest, timestamp: number): ShadowResult {
  if (!isLiveShadow(current)) return rejected(current, "delete", 404, notFoundMessage(req.name ?? ""), timestamp, req.clientToken);
  if (req.version !== undefined && req.version !== current.version) {
    return rejected(current, "delete", 409, SHADOW_ERRORS.versionConflict, timestamp, req.clientToken);
  }
  const document: ShadowRecord = { deleted: true, version: current.version, timestamp };
  const events: ShadowEvent[] = [
    { type: "documents", message: { previous: snapshot(current), current: null, timestamp, ...token(req.clientToken) } },
  ];
  const body = { version: current.version, timestamp, ...token(req.clientToken) };
  return { document, changed: true, response: { status: "accepted", op: "delete", body }, events };
}
