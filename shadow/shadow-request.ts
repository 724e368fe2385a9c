/**
 * Validation of shadow requests, with AWS's 400/413 errors. Requests usually come straight off
 * the wire (MQTT payload, HTTP body, JSON message), so everything is checked at run time even
 * when the static type says it is fine.
 */
import { isJsonObject, jsonDepth, ownField, utf8ByteLength } from "../protocols/json-value";
import type { JsonObject, JsonValue } from "../protocols/json-value";
import { SHADOW_ERRORS, shadowError, tooDeepMessage, tooLargeMessage } from "./shadow-limits";
import type { ShadowLimits } from "./shadow-limits";
import type { ShadowErrorBody, ShadowOp, ShadowRequest, ShadowStatePatch } from "./shadow-types";

/** A request that passed validation, or the error document to publish on `/rejected`. */
export type CheckedShadowRequest =
  | { ok: true; request: ShadowRequest }
  | { ok: false; op: ShadowOp; error: ShadowErrorBody };

const OPS: readonly ShadowOp[] = ["get", "update", "delete"];
const STATE_KEYS = new Set(["desired", "reported"]);

/** Reads a field of an arbitrary value without touching its prototype. */
function field(input: unknown, key: string): unknown {
  if (typeof input !== "object" || input === null) return undefined;
  return Object.prototype.hasOwnProperty.call(input, key) ? (input as Record<string, unknown>)[key] : undefined;
}

/**
 * Checks a section tree: JSON only (finite numbers, plain objects), and no `null` inside arrays
 * (AWS rejects those: arrays are stored whole, so a null there could not mean "delete").
 * Returns false on the first offence. Depth was bounded before this runs.
 */
function isValidTree(value: unknown, inArray: boolean): boolean {
  if (value === null) return !inArray;
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (Array.isArray(value)) return value.every((v) => isValidTree(v, true));
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(value).every((v) => isValidTree(v, inArray));
    }
    default:
      return false;
  }
}

/** Depth of an arbitrary value, bounded so hostile input cannot exhaust the stack. */
function depthOf(value: unknown, limit: number): number {
  return jsonDepth(value as JsonValue, limit);
}

/**
 * Validates a request (typed or not) against AWS's rules and `limits`: clientToken (string,
 * ≤ 64 bytes), version (non-negative integer), and for updates the state node (object or
 * null; only `desired` / `reported`, each an object or null; no nulls in arrays; depth; size).
 * `timestamp` (epoch seconds) stamps the error document.
 * @example checkShadowRequest({ kind: "update", state: { desired: 1 } }, DEFAULT_SHADOW_LIMITS, 0)
 * // { ok: false, op: "update", error: { code: 400, message: "Desired node must be an object", timestamp: 0 } }
 */
export function checkShadowRequest(input: unknown, limits: ShadowLimits, timestamp: number): CheckedShadowRequest {
  const kind = field(input, "kind");
  const op = OPS.find((o) => o === kind);
  const fail = (code: number, message: string, token?: string): CheckedShadowRequest => ({
    ok: false,
    op: op ?? "update",
    error: shadowError(code, message, timestamp, token),
  });
  if (op === undefined) return fail(400, SHADOW_ERRORS.invalidJson);

  const rawToken = field(input, "clientToken");
  if (rawToken !== undefined && (typeof rawToken !== "string" || utf8ByteLength(rawToken) > limits.maxClientTokenBytes)) {
    return fail(400, SHADOW_ERRORS.invalidClientToken);
  }
  const clientToken = rawToken as string | undefined;
  const rawName = field(input, "name");
  const name = typeof rawName === "string" ? rawName : undefined;
  const extras = { ...(clientToken === undefined ? {} : { clientToken }), ...(name === undefined ? {} : { name }) };
  if (op === "get") return { ok: true, request: { kind: "get", ...extras } };

  const rawVersion = field(input, "version");
  if (rawVersion !== undefined && !(Number.isSafeInteger(rawVersion) && (rawVersion as number) >= 0)) {
    return fail(400, SHADOW_ERRORS.invalidVersion, clientToken);
  }
  const version = rawVersion === undefined ? {} : { version: rawVersion as number };
  if (op === "delete") return { ok: true, request: { kind: "delete", ...version, ...extras } };

  const state = field(input, "state");
  if (state === undefined) return fail(400, SHADOW_ERRORS.missingState, clientToken);
  if (state === null) return { ok: true, request: { kind: "update", state: null, ...version, ...extras } };
  if (!isJsonObject(state)) return fail(400, SHADOW_ERRORS.stateNotObject, clientToken);
  // AWS answers 400 to `{"state":{}}` rather than bumping the version with no change.
  if (Object.keys(state).length === 0) return fail(400, SHADOW_ERRORS.emptyState, clientToken);
  const patch: ShadowStatePatch = {};
  for (const key of Object.keys(state)) {
    if (!STATE_KEYS.has(key)) return fail(400, SHADOW_ERRORS.invalidNode, clientToken);
  }
  for (const section of ["desired", "reported"] as const) {
    const value: unknown = ownField<unknown>(state, section);
    if (value === undefined) continue;
    if (value !== null && !isJsonObject(value)) {
      const message = section === "desired" ? SHADOW_ERRORS.desiredNotObject : SHADOW_ERRORS.reportedNotObject;
      return fail(400, message, clientToken);
    }
    if (value !== null && depthOf(value, limits.maxDepth) > limits.maxDepth) {
      return fail(400, tooDeepMessage(limits.maxDepth), clientToken);
    }
    if (!isValidTree(value, false)) return fail(400, SHADOW_ERRORS.invalidNode, clientToken);
    patch[section] = value as JsonObject | null;
  }
  // The request alone already over the limit cannot lead to an acceptable document; refusing
  // it here also bounds the work the merge does.
  if (utf8ByteLength(JSON.stringify(patch)) > limits.maxDocumentBytes) {
    return fail(413, tooLargeMessage(limits.maxDocumentBytes), clientToken);
  }
  return { ok: true, request: { kind: "update", state: patch, ...version, ...extras } };
}
