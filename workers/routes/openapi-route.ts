/**
 * Route definitions with their access rule attached, so every route declares its scope in
 * one place: the guard enforces it and the OpenAPI document shows it (`x-umbra-scope`).
 * A route that declares a request body also gets its media-type and nesting check from the
 * same declaration (`bodyOf`), so no route can take a body it did not declare.
 */
import { OpenAPIHono, createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { validationError } from "../errors";
import { guard, type Access } from "../auth/guard";
import { ProblemSchema } from "./schemas";
import { bodyOf } from "../content";

/** Problem responses every secured route may give. */
const problems = {
  400: { description: "Invalid request", content: { "application/problem+json": { schema: ProblemSchema } } },
  401: { description: "Missing or invalid credential", content: { "application/problem+json": { schema: ProblemSchema } } },
  403: { description: "Credential lacks the scope", content: { "application/problem+json": { schema: ProblemSchema } } },
  404: { description: "Not found", content: { "application/problem+json": { schema: ProblemSchema } } },
  429: { description: "Too many requests (Retry-After): failed authentications from this address, or a rate limit", content: { "application/problem+json": { schema: ProblemSchema } } },
  // Without content: it also lets handlers return a plain Response (problem+json, SSE, 101).
  500: { description: "Internal error (application/problem+json)" },
  503: {
    description: "A change is stored but some objects it concerns could not be told yet (retried automatically: parked pushes); or the hub lacks what this needs",
    content: { "application/problem+json": { schema: ProblemSchema } },
  },
} as const;

/** Further problems of a route that takes a body. */
const bodyProblems = {
  413: { description: "Body over MAX_BODY_BYTES", content: { "application/problem+json": { schema: ProblemSchema } } },
  415: { description: "Content-Type not one of the declared request media types", content: { "application/problem+json": { schema: ProblemSchema } } },
} as const;

/** A route's own 4xx answers, given as a description only, with the problem+json body they have. */
function withProblemBodies(responses: RouteConfig["responses"]): RouteConfig["responses"] {
  const content = { "application/problem+json": { schema: ProblemSchema } };
  return Object.fromEntries(
    Object.entries(responses).map(([status, r]) => [status, Number(status) >= 400 && Number(status) < 500 && !("content" in r && r.content) ? { ...r, content } : r]),
  );
}

/**
 * `createRoute` plus the guard for `access`. Every operation must name its `operationId`.
 * @example secured({ scope: "devices:read" }, { operationId: "listDevices", method: "get", path: "/v1/devices", responses: {...} })
 */
export function secured<P extends string, R extends Omit<RouteConfig, "path" | "middleware"> & { path: P; operationId: string }>(access: Access, config: R) {
  const body = config.request?.body;
  const checks = body ? [bodyOf(Object.keys(body.content), body.required === true)] : [];
  return createRoute({
    ...config,
    responses: { ...problems, ...(body ? bodyProblems : {}), ...withProblemBodies(config.responses) },
    security: [{ bearer: [] }],
    middleware: [guard(access), ...checks],
    "x-umbra-scope": access.scope,
    "x-umbra-device-access": access.deviceParam !== undefined,
  });
}

/**
 * A router whose schema failures become 400 problem+json naming each bad field.
 * @example const devices = router(); devices.openapi(route, handler);
 */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues);
    },
  });
}
