/**
 * One error class for every HTTP failure, rendered once (in `onError`) as an RFC 9457
 * `application/problem+json` document with a stable `type`.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "@hono/zod-openapi";

// A JSON number beyond a double's range (1e400) parses as Infinity, which zod reports as
// "expected number, received number": say what is wrong instead, for every schema of the API.
z.config({
  customError: (iss) =>
    iss.code === "invalid_type" && iss.expected === "number" && typeof iss.input === "number" ? `expected a finite number, got ${String(iss.input)}` : undefined,
});

/** Stable problem types: the slug is part of the `type` URI clients may switch on. */
export const PROBLEMS = {
  "malformed-json": { status: 400, title: "Malformed JSON" },
  "malformed-cbor": { status: 400, title: "Malformed CBOR" },
  "invalid-request": { status: 400, title: "Invalid request" },
  "invalid-id": { status: 400, title: "Invalid identifier" },
  "unauthorized": { status: 401, title: "Unauthorized" },
  "forbidden": { status: 403, title: "Forbidden" },
  "not-found": { status: 404, title: "Not found" },
  "device-offline": { status: 404, title: "Device offline" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "not-acceptable": { status: 406, title: "Not acceptable" },
  "conflict": { status: 409, title: "Conflict" },
  "precondition-failed": { status: 412, title: "Precondition failed" },
  "payload-too-large": { status: 413, title: "Payload too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "upgrade-required": { status: 426, title: "Upgrade required" },
  "too-many-requests": { status: 429, title: "Too many requests" },
  "internal": { status: 500, title: "Internal error" },
  "unavailable": { status: 503, title: "Service unavailable" },
  "gateway-timeout": { status: 504, title: "Gateway timeout" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemSlug = keyof typeof PROBLEMS;

/** The `type` URI of a problem slug. */
export const problemType = (slug: ProblemSlug): string => `https://umbra.dev/problems/${slug}`;

/**
 * Thrown anywhere in a request; `onError` turns it into problem+json.
 * @example throw new ApiError("not-found", `No device "${id}"`);
 */
export class ApiError extends Error {
  readonly slug: ProblemSlug;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(slug: ProblemSlug, detail?: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(detail ?? PROBLEMS[slug].title);
    this.slug = slug;
    this.extra = extra;
    this.headers = headers;
  }
  get status(): ContentfulStatusCode {
    return PROBLEMS[this.slug].status;
  }
}

/** Builds the problem+json response for an error, adding `instance` (the request path). */
export function problemResponse(err: ApiError, instance: string): Response {
  const body = {
    type: problemType(err.slug),
    title: PROBLEMS[err.slug].title,
    status: err.status,
    detail: err.message,
    instance,
    ...err.extra,
  };
  const headers = new Headers({ "content-type": "application/problem+json", ...err.headers });
  if (err.status === 401) headers.set("www-authenticate", 'Bearer realm="umbra"');
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** A schema failure as a 400 naming each bad field (`errors: [{path, message, code}]`). */
export function validationError(issues: readonly { path: readonly PropertyKey[]; message: string; code: string }[]): ApiError {
  const all = issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }));
  // A field of the wrong type gets that one message: zod goes on to check the value's length as
  // the expected type's, and said "Too big: expected string to have <=5 characters" of an array.
  const mistyped = new Set(all.filter((e) => e.code === "invalid_type").map((e) => e.path));
  const errors = all.filter((e) => e.code === "invalid_type" || !mistyped.has(e.path));
  const first = errors[0];
  // A body with thousands of bad items gets the first few, not an answer larger than the body.
  const shown = errors.length > MAX_VALIDATION_ERRORS ? { errors: errors.slice(0, MAX_VALIDATION_ERRORS), errors_omitted: errors.length - MAX_VALIDATION_ERRORS } : { errors };
  return new ApiError("invalid-request", first ? `${first.path || "body"}: ${first.message}` : "Invalid request", shown);
}

/** The most items a 400's `errors` lists; `errors_omitted` counts the rest. */
export const MAX_VALIDATION_ERRORS = 20;
