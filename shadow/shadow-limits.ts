/**
 * Shadow limits, shadow names and the AWS error documents. The messages are AWS's own
 * (Device Shadow error messages table) so device code that matches on them keeps working.
 */
import type { ShadowErrorBody } from "./shadow-types";

/** Size and shape limits of one shadow, enforced on every update. */
export type ShadowLimits = {
  /** Largest stored state (`{desired, reported}` as JSON, UTF-8 bytes); metadata is not counted, as in AWS. */
  maxDocumentBytes: number;
  /** Deepest `desired` / `reported` (the section object itself is level 1; arrays count as levels). */
  maxDepth: number;
  /** Longest `clientToken`, in UTF-8 bytes (AWS: 64). */
  maxClientTokenBytes: number;
};

/**
 * Defaults: 64 KB state, depth 10, 64-byte client tokens. (AWS allows 8 KB–30 KB and depth 8;
 * ours is larger on purpose and configurable per deployment.)
 */
export const DEFAULT_SHADOW_LIMITS: Readonly<ShadowLimits> = Object.freeze({
  maxDocumentBytes: 64 * 1024,
  maxDepth: 10,
  maxClientTokenBytes: 64,
});

/** Name of the classic (unnamed) shadow. */
export const CLASSIC_SHADOW = "";

/** Named shadows, as AWS IoT names them; the one rule every protocol checks (REST, MQTT, CoAP, JSON). */
export const SHADOW_NAME = /^[A-Za-z0-9:_-]{1,64}$/;
/** {@link SHADOW_NAME} as error messages say it. */
export const SHADOW_NAME_RULE = SHADOW_NAME.source.slice(1, -1);

/** Outcome of {@link validateShadowName}. */
export type ShadowNameResult = { ok: true; name: string } | { ok: false; message: string };

/**
 * Checks and normalizes a shadow name. The classic shadow is `""`; `undefined` also means the
 * classic shadow and normalizes to `""`. Named shadows are {@link SHADOW_NAME}.
 * @example validateShadowName(undefined) // { ok: true, name: "" }
 * @example validateShadowName("config") // { ok: true, name: "config" }
 * @example validateShadowName("a/b") // { ok: false, message: "Invalid shadow name" }
 */
export function validateShadowName(name: string | undefined): ShadowNameResult {
  if (name === undefined || name === CLASSIC_SHADOW) return { ok: true, name: CLASSIC_SHADOW };
  if (typeof name === "string" && SHADOW_NAME.test(name)) return { ok: true, name };
  return { ok: false, message: "Invalid shadow name" };
}

/** AWS's error messages, by cause. */
export const SHADOW_ERRORS = {
  /** A request payload that is not a JSON object (or not JSON). */
  invalidJson: "Payload contains invalid json",
  missingState: "Missing required node: state",
  stateNotObject: "State node must be an object",
  desiredNotObject: "Desired node must be an object",
  reportedNotObject: "Reported node must be an object",
  invalidVersion: "Invalid version",
  invalidClientToken: "Invalid clientToken",
  invalidNode: "State contains an invalid node",
  versionConflict: "Version conflict",
  tooLarge: "The payload exceeds the maximum size allowed",
  emptyState: "State node must not be empty",
} as const;

/** AWS's size message, naming our configured maximum. */
export const tooLargeMessage = (maxBytes: number): string => `${SHADOW_ERRORS.tooLarge} (${maxBytes} bytes)`;

/** AWS's nesting message, with our configured maximum. */
export const tooDeepMessage = (maxDepth: number): string =>
  `JSON contains too many levels of nesting; maximum is ${maxDepth}`;


/** AWS's 404 message. */
export const notFoundMessage = (name: string): string => `No shadow exists with name: '${name}'`;

/** Epoch seconds (AWS shadow timestamps) from epoch milliseconds. */
export const toSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

/**
 * Builds an AWS error document; `clientToken` is echoed only when it is itself valid.
 * @example shadowError(409, "Version conflict", 1591057529, "t1")
 */
export function shadowError(code: number, message: string, timestamp: number, clientToken?: string): ShadowErrorBody {
  return clientToken === undefined ? { code, message, timestamp } : { code, message, timestamp, clientToken };
}
