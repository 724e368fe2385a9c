/**
 * `GET /v1/devices/{id}/events`: a device's live events, as a WebSocket or Server-Sent Events.
 * Browsers cannot set headers on a WebSocket, so — as on `/v1/connect` — the credential may also
 * come as the subprotocol list `umbra.events.v1, token.<token>`; the 101 then answers `umbra.events.v1`.
 */
import { router, secured } from "./openapi-route";
import { DeviceParams } from "./schemas";
import { getDevice } from "../registry/devices";
import { deviceStub } from "../objects";
import { ApiError } from "../errors";
import { offeredProtocols } from "./connect";
import { webSocketResponse } from "../../durable-objects/shared/websocket-response";
import { ownerOf } from "../mqtt/authenticate";
import { recordStream } from "../registry/app-sessions";
import { hasScope } from "../auth/principal";

export const events = router();

/** The subprotocol a browser offers beside `token.<token>` to open a stream. */
export const EVENTS_SUBPROTOCOL = "umbra.events.v1";

// Runs before the route's guard: a token offered as a subprotocol becomes the Bearer header the
// guard reads, so every check (failure limit, scope, device access) stays in one place.
events.use("/v1/devices/:id/events", async (c, next) => {
  const offered = offeredProtocols(c.req.header("sec-websocket-protocol"));
  const token = offered.find((p) => p.startsWith("token."))?.slice(6);
  if (token !== undefined && c.req.header("authorization") === undefined) {
    if (!offered.includes(EVENTS_SUBPROTOCOL)) throw new ApiError("invalid-request", `Offer the "${EVENTS_SUBPROTOCOL}" subprotocol beside token.<token>`);
    const headers = new Headers(c.req.raw.headers);
    headers.set("authorization", `Bearer ${token}`);
    c.req.raw = new Request(c.req.raw, { headers });
  }
  await next();
});

events.openapi(
  secured({ scope: "devices:read", deviceParam: "id" }, {
    operationId: "deviceEvents",
    method: "get",
    path: "/v1/devices/{id}/events",
    summary: "Live events (shadow events only with shadows:read too; telemetry, presence, commands): WebSocket upgrade (browsers: subprotocols `umbra.events.v1`, `token.<token>`), or SSE with Accept: text/event-stream",
    request: { params: DeviceParams },
    responses: {
      101: { description: "WebSocket: one JSON event {type, deviceId, ts, data} per message" },
      200: { description: "text/event-stream: one event per change", content: { "text/event-stream": { schema: { type: "string" } } } },
      406: { description: "Neither a WebSocket upgrade nor Accept: text/event-stream" },
    },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const ws = c.req.header("upgrade")?.toLowerCase() === "websocket";
    const sse = (c.req.header("accept") ?? "").includes("text/event-stream");
    if (!ws && !sse) throw new ApiError("not-acceptable", "Open a WebSocket or send Accept: text/event-stream");
    const headers = new Headers(c.req.raw.headers);
    headers.delete("authorization");
    headers.delete("sec-websocket-protocol");
    headers.set("x-umbra-device", device.id);
    // Who opens it, so the stream ends when their access does (revoked, expired).
    const principal = c.get("principal");
    if (principal.kind === "api-key" || principal.kind === "oauth") {
      const owner = ownerOf(principal);
      await recordStream(c.env, device.id, owner);
      headers.set("x-umbra-owner", owner);
      if (principal.kind === "oauth") headers.set("x-umbra-expires", String(principal.expiresAt));
      // The stream carries shadow documents: only to those who may read them (GET …/shadow's scope).
      if (!hasScope(principal, "shadows:read")) headers.set("x-umbra-hide", "shadow");
    } else if (principal.kind === "device") headers.set("x-umbra-credential", principal.credentialId);
    const res = await deviceStub(c.env, device.id).fetch(new Request("https://device/events", { headers }));
    // A client that offered subprotocols closes at once unless the 101 names one of them.
    if (!ws || res.status !== 101 || !offeredProtocols(c.req.header("sec-websocket-protocol")).includes(EVENTS_SUBPROTOCOL)) return res;
    return webSocketResponse(res.webSocket!, EVENTS_SUBPROTOCOL);
  },
);
