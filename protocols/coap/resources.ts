/**
 * The resources a CoAP connection serves — `/shadow[/<name>]`, `/shadow[/<name>]/delta`
 * (observable) and `/telemetry` — as functions from a parsed request to a response.
 */
import { parseJsonBounded } from "../json-depth";
import { SHADOW_ERRORS, SHADOW_NAME } from "../../shadow/shadow-limits";
import { COMMAND_OUTCOME_RULE, METHOD_STATUS_RULE, isCommandOutcome, isMethodStatus } from "../device-answers";
import type { CoapMessage, CoapOption } from "./codec";
import { Code } from "./codes";
import { contentEtag, etagNamesVersion, versionEtag } from "./etag";
import type { CoapHost, ShadowFormat, TelemetryFormat } from "./host";
import { ContentFormat, Option, bytesEqual, decodeString, observeOption } from "./options";
import type { ParsedRequest } from "./request";
import type { ShadowCondition } from "../../shadow/shadow-condition";
import { bodyReply, errorReply, hostErrorReply, isSuccess, reply, statusToCode } from "./responses";

/** A resource this server exposes, with the key used for observers and Block2 caching. */
export type Route =
  | { kind: "shadow"; name: string | null; key: string }
  | { kind: "delta"; name: string | null; key: string }
  | { kind: "telemetry"; key: string }
  /** `/commands` and `/methods`: observable; each notification is one command or method call. */
  | { kind: "calls"; resource: "commands" | "methods"; key: string }
  /** `/commands/<id>` and `/methods/<id>`: the device POSTs a result or an answer. */
  | { kind: "answer"; resource: "commands" | "methods"; id: string; key: string };

const CALL_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Maps Uri-Path segments to a resource, or null (4.04). `/shadow/delta` is the classic
 * shadow's delta, so a named shadow called "delta" cannot be addressed (4.04).
 */
export function route(path: readonly string[]): Route | null {
  if (path.length === 1 && path[0] === "telemetry") return { kind: "telemetry", key: "telemetry" };
  if (path[0] === "commands" || path[0] === "methods") {
    const resource = path[0];
    if (path.length === 1) return { kind: "calls", resource, key: resource };
    const id = path[1];
    return path.length === 2 && CALL_ID.test(id) ? { kind: "answer", resource, id, key: `${resource}/${id}` } : null;
  }
  if (path[0] !== "shadow" || path.length > 3) return null;
  if (path.length === 1) return { kind: "shadow", name: null, key: "shadow" };
  const name = path[1];
  if (path.length === 2 && name === "delta") return { kind: "delta", name: null, key: deltaKey(null) };
  if (!SHADOW_NAME.test(name) || name === "delta") return null;
  if (path.length === 2) return { kind: "shadow", name, key: `shadow/${name}` };
  return path[2] === "delta" ? { kind: "delta", name, key: deltaKey(name) } : null;
}

/** The observer/resource key of a shadow's delta. */
export function deltaKey(name: string | null): string {
  return name === null ? "shadow/delta" : `shadow/${name}/delta`;
}

/** Methods each resource answers; anything else is 4.05 (RFC 7252 §5.8). */
export function allowedMethods(r: Route): readonly number[] {
  switch (r.kind) {
    case "shadow":
      return [Code.GET, Code.POST, Code.DELETE];
    case "delta":
      return [Code.GET];
    case "telemetry":
    case "answer":
      return [Code.POST];
    case "calls":
      return [Code.GET];
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function versionOf(body: unknown): number | undefined {
  const v = isRecord(body) ? body.version : undefined;
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function etagOptions(body: unknown, format: ShadowFormat): CoapOption[] {
  const v = versionOf(body);
  return v === undefined ? [] : [{ number: Option.ETAG, value: versionEtag(v, format) }];
}

/** Request body as JSON (50, also when Content-Format is absent) or CBOR (60). */
function parseBody(host: CoapHost, format: number | undefined, payload: Uint8Array): { value: unknown } | { status: number; message: string } {
  if (format === undefined || format === ContentFormat.JSON) {
    // Nesting is bounded before parsing, as on every JSON path (protocols/json-depth.ts).
    let text: string;
    try {
      text = decodeString(payload);
    } catch {
      return { status: 400, message: SHADOW_ERRORS.invalidJson };
    }
    const r = parseJsonBounded(text, host.maxDepth);
    return r.ok ? { value: r.value } : { status: 400, message: r.reason === "too_deep" ? `Payload ${r.message.replace(/^JSON /, "")}` : SHADOW_ERRORS.invalidJson };
  }
  if (format === ContentFormat.CBOR) {
    try {
      return { value: host.decodeCbor(payload) };
    } catch {
      return { status: 400, message: "Payload contains invalid cbor" };
    }
  }
  return { status: 415, message: `Unsupported content format ${format}` };
}

/**
 * RFC 7252 §5.10.8: If-Match (an ETag, or empty for "exists") and If-None-Match ("must not
 * exist"). An ETag that names the current version gives that `version`, which the write then
 * carries (the shadow checks it as it writes); "exists" and "must not exist" go with the write
 * as a `condition` the device's object checks in the same step. Either way, of two clients
 * racing through the same precondition only one writes.
 */
async function preconditions(host: CoapHost, req: ParsedRequest, name: string | null): Promise<{ failure: string } | { version?: number; condition?: ShadowCondition }> {
  if (req.ifNoneMatch) return req.ifMatch.length === 0 ? { condition: { notAt: "*" } } : { failure: "Precondition failed: If-Match and If-None-Match exclude each other" };
  if (req.ifMatch.length === 0) return {};
  const current = await host.shadowGet(name);
  const version = isSuccess(current.status) ? versionOf(current.body) : undefined;
  if (version !== undefined && req.ifMatch.some((v) => etagNamesVersion(v, version))) return { version };
  if (version !== undefined && req.ifMatch.some((v) => v.length === 0)) return { condition: { exists: true } };
  return { failure: "Precondition failed: version mismatch" };
}

/**
 * GET /shadow[/<name>]: 2.05 with the ETag of this version in this format, 2.03 when the
 * client's ETag names exactly that representation (RFC 7252 §5.10.6.2).
 */
export async function getShadow(host: CoapHost, req: ParsedRequest, name: string | null, accept: ShadowFormat): Promise<CoapMessage> {
  const r = await host.shadowGet(name);
  if (!isSuccess(r.status)) return hostErrorReply(req.token, statusToCode(r.status), r.body);
  const etag = etagOptions(r.body, accept);
  if (etag.length > 0 && req.etags.some((e) => bytesEqual(e, etag[0].value))) return reply(req.token, Code.VALID, etag);
  return bodyReply(host, req.token, Code.CONTENT, r.body, accept, etag);
}

/**
 * POST /shadow[/<name>]: AWS-style update → 2.04. If-Match compares against the version's
 * ETag and, when the body names no version, pins it so the host's optimistic check makes
 * the compare-and-set atomic (RFC 7252 §5.10.8.1); If-None-Match fails if the shadow exists.
 * The 2.04 carries the AWS `update/accepted` document, cut down to `{version, timestamp,
 * clientToken}` when it would be bigger than `maxEcho` bytes: a device that sent a large
 * update has it already, and echoing it would only cost blocks (the ETag names the version).
 */
export async function updateShadow(
  host: CoapHost,
  req: ParsedRequest,
  payload: Uint8Array,
  name: string | null,
  accept: ShadowFormat,
  maxEcho: number,
): Promise<CoapMessage> {
  const parsed = parseBody(host, req.contentFormat, payload);
  if ("status" in parsed) return errorReply(req.token, statusToCode(parsed.status), parsed.message);
  let body = parsed.value;
  const pre = await preconditions(host, req, name);
  if ("failure" in pre) return errorReply(req.token, Code.PRECONDITION_FAILED, pre.failure);
  const pinned = pre.version !== undefined && isRecord(body) && body.version === undefined;
  if (pinned && isRecord(body)) body = { ...body, version: pre.version };
  const r = await host.shadowUpdate(name, body, pre.condition);
  if (!isSuccess(r.status)) {
    const code = pinned && r.status === 409 ? Code.PRECONDITION_FAILED : statusToCode(r.status);
    return hostErrorReply(req.token, code, r.body);
  }
  const full = bodyReply(host, req.token, Code.CHANGED, r.body, accept, etagOptions(r.body, accept));
  if (full.payload.length <= maxEcho || !isRecord(r.body)) return full;
  const { version, timestamp, clientToken } = r.body;
  const short = clientToken === undefined ? { version, timestamp } : { version, timestamp, clientToken };
  return bodyReply(host, req.token, Code.CHANGED, short, accept, etagOptions(r.body, accept));
}

/** DELETE /shadow[/<name>] → 2.02 Deleted; If-Match / If-None-Match checked first. */
export async function deleteShadow(host: CoapHost, req: ParsedRequest, name: string | null, accept: ShadowFormat): Promise<CoapMessage> {
  const pre = await preconditions(host, req, name);
  if ("failure" in pre) return errorReply(req.token, Code.PRECONDITION_FAILED, pre.failure);
  const r = await host.shadowDelete(name, pre.version, pre.condition);
  if (!isSuccess(r.status)) return hostErrorReply(req.token, pre.version !== undefined && r.status === 409 ? Code.PRECONDITION_FAILED : statusToCode(r.status), r.body);
  return bodyReply(host, req.token, Code.DELETED, r.body, accept);
}

/** Registers or removes an observation; `register` returns the sequence number or null when full. */
export interface ObserveControl {
  register(resource: string, accept: ShadowFormat): number | null;
  deregister(): void;
}

/** GET /shadow[/<name>]/delta, with Observe register (0) / deregister (1) (RFC 7641 §3.1, §3.6). */
export async function getDelta(
  host: CoapHost,
  req: ParsedRequest,
  name: string | null,
  accept: ShadowFormat,
  observe: ObserveControl,
): Promise<CoapMessage> {
  const delta = await host.shadowDelta(name);
  // encode before registering so a failing encoder leaves no observer behind
  const resp = deltaReply(host, req.token, delta, accept);
  if (req.observe === 0) {
    const seq = observe.register(deltaKey(name), accept);
    if (seq !== null) resp.options = [observeOption(seq), ...resp.options];
  } else if (req.observe === 1) {
    observe.deregister();
  }
  return resp;
}

/** A delta representation: 2.05 whose ETag comes from its bytes (a delta has no version of its own). */
function deltaReply(host: CoapHost, token: Uint8Array, delta: unknown, accept: ShadowFormat): CoapMessage {
  const resp = bodyReply(host, token, Code.CONTENT, delta, accept);
  resp.options.push({ number: Option.ETAG, value: contentEtag(resp.payload) });
  return resp;
}

/** A notification for one observer (RFC 7641 §4.2): same token, 2.05, a fresh Observe number. */
export function deltaNotification(host: CoapHost, token: Uint8Array, seq: number, delta: unknown, accept: ShadowFormat): CoapMessage {
  const resp = deltaReply(host, token, delta, accept);
  resp.options = [observeOption(seq), ...resp.options];
  return resp;
}

const telemetryFormats: readonly number[] = [ContentFormat.JSON, ContentFormat.CBOR, ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR];

function isTelemetryFormat(f: number): f is TelemetryFormat {
  return telemetryFormats.includes(f);
}

/**
 * POST /telemetry in 50, 60, 110 or 112 (absent = JSON) → 2.04 `{"accepted": rows}` (JSON, as
 * HTTP's 202 says it, or CBOR for Accept 60); others → 4.15. The body is not only informative:
 * libcoap 4.3.5 drops every 2-byte WebSocket message, and a bare 2.04 to its empty token is exactly that.
 */
export async function postTelemetry(host: CoapHost, req: ParsedRequest, payload: Uint8Array, accept: ShadowFormat): Promise<CoapMessage> {
  const format = req.contentFormat ?? ContentFormat.JSON;
  if (!isTelemetryFormat(format)) {
    return errorReply(req.token, Code.UNSUPPORTED_CONTENT_FORMAT, "telemetry accepts content formats 50, 60, 110, 112");
  }
  const r = await host.telemetry(format, payload);
  if (isSuccess(r.status)) {
    return r.accepted === undefined ? reply(req.token, Code.CHANGED) : bodyReply(host, req.token, Code.CHANGED, { accepted: r.accepted }, accept);
  }
  return errorReply(req.token, statusToCode(r.status), r.message ?? `telemetry rejected (${r.status})`);
}

/**
 * GET /commands or /methods with Observe: registering asks the device's object to send them
 * (queued commands at once, in order); the answer itself is an empty object. Each command or
 * method call then arrives as a notification `{id, name, payload}`.
 */
export async function getCalls(host: CoapHost, req: ParsedRequest, resource: "commands" | "methods", accept: ShadowFormat, observe: ObserveControl): Promise<CoapMessage> {
  const resp = deltaReply(host, req.token, {}, accept);
  if (req.observe === 0) {
    const seq = observe.register(resource, accept);
    if (seq !== null) {
      resp.options = [observeOption(seq), ...resp.options];
      await host.observe(resource);
    }
  } else if (req.observe === 1) {
    observe.deregister();
  }
  return resp;
}

/**
 * POST /commands/<id> `{status: "completed"|"rejected"|"failed", result?}` or /methods/<id>
 * `{status: 200, payload?}` → 2.04 `{}`; 4.04 when nobody waits for it; 4.00 for another body.
 */
export async function postAnswer(host: CoapHost, req: ParsedRequest, payload: Uint8Array, resource: "commands" | "methods", id: string, accept: ShadowFormat): Promise<CoapMessage> {
  const parsed = parseBody(host, req.contentFormat, payload);
  if ("status" in parsed) return errorReply(req.token, statusToCode(parsed.status), parsed.message);
  const body = isRecord(parsed.value) ? parsed.value : {};
  let taken: boolean;
  if (resource === "commands") {
    const status = body.status;
    if (!isCommandOutcome(status)) return errorReply(req.token, Code.BAD_REQUEST, `status ${COMMAND_OUTCOME_RULE}`);
    taken = await host.commandResult(id, status, body.result ?? null);
  } else {
    const status = body.status;
    if (!isMethodStatus(status)) return errorReply(req.token, Code.BAD_REQUEST, `status ${METHOD_STATUS_RULE}`);
    taken = await host.methodResponse(id, status, body.payload ?? null);
  }
  // A body, so the answer is never the 2-byte message libcoap 4.3.5 drops.
  return taken ? bodyReply(host, req.token, Code.CHANGED, {}, accept) : errorReply(req.token, Code.NOT_FOUND, `no ${resource === "commands" ? "pending command" : "waiting method call"} ${id}`);
}
