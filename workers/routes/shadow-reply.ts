/** Renders a DeviceObject shadow reply: 200 JSON, or problem+json carrying AWS's error fields. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError, problemResponse, type ProblemSlug } from "../errors";
import { negotiated } from "../content";
import type { ShadowReply } from "../../durable-objects/device/device-object";

const SLUGS: Record<number, ProblemSlug> = { 400: "invalid-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 409: "conflict", 412: "precondition-failed", 413: "payload-too-large", 429: "too-many-requests" };

/**
 * AWS clients read `{code, message, timestamp, clientToken}`; RFC 9457 clients read
 * `{type, title, status, detail}`. A rejected shadow request carries both. Accepted replies are
 * CBOR when the client sends `Accept: application/cbor`.
 */
export function shadowReply(c: Context<AppEnv>, reply: ShadowReply): Response {
  if (reply.status === 200) return negotiated(c, reply.body);
  const message = typeof reply.body.message === "string" ? reply.body.message : "Rejected";
  return problemResponse(new ApiError(SLUGS[reply.status] ?? "internal", message, reply.body), c.req.path);
}
