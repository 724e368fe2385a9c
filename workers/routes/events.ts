/** `GET /v1/devices/{id}/events`: a device's live events, as a WebSocket or Server-Sent Events. */
import { router, secured } from "./openapi-route";
import { DeviceParams } from "./schemas";
import { getDevice } from "../registry/devices";
import { deviceStub } from "../objects";
import { ApiError } from "../errors";

export const events = router();

events.openapi(
  secured({ scope: "devices:read", deviceParam: "id" }, {
    operationId: "deviceEvents",
method: "get",
    path: "/v1/devices/{id}/events",
    summary: "Live events (shadow, telemetry, presence): WebSocket upgrade, or SSE with Accept: text/event-stream",
    request: { params: DeviceParams },
    responses: {
      101: { description: "WebSocket: one JSON event {type, deviceId, ts, data} per message" },
      200: { description: "text/event-stream: one event per change", content: { "text/event-stream": { schema: { type: "string" } } } },
    },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const ws = c.req.header("upgrade")?.toLowerCase() === "websocket";
    const sse = (c.req.header("accept") ?? "").includes("text/event-stream");
    if (!ws && !sse) throw new ApiError("not-acceptable", "Open a WebSocket or send Accept: text/event-stream");
    const headers = new Headers(c.req.raw.headers);
    headers.delete("authorization");
    headers.set("x-umbra-device", device.id);
    return deviceStub(c.env, device.id).fetch(new Request("https://device/events", { headers }));
  },
);
