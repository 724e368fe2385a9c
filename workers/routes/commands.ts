/**
 * `/v1/devices/{id}/commands` (Azure's cloud-to-device messages: one durable, ordered queue per
 * device) and `/v1/devices/{id}/methods/{name}` (direct methods: a synchronous call answered by
 * the connected device, or 404 device-offline, or 504 after the timeout).
 */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { DeviceParams, jsonBody, jsonResponse, queryInteger } from "./schemas";
import { getDevice } from "../registry/devices";
import { deviceStub } from "../objects";
import { ApiError } from "../errors";
import { decodeNumericCursor, encodeCursor } from "../registry/pagination";
import { COMMAND_NAME } from "../../protocols/mqtt/hub-topics";

export const commandRoutes = router();

const Status = z.enum(["queued", "delivered", "completed", "rejected", "failed", "expired"]);
const Command = z
  .object({
    id: z.string(),
    device_id: z.string(),
    name: z.string(),
    payload: z.unknown(),
    status: Status,
    created_at: z.string(),
    expires_at: z.string(),
    delivered_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    result: z.unknown(),
    protocol: z.string().nullable(),
  })
  .openapi("Command");
const NewCommand = z.strictObject({
  name: z.string().regex(COMMAND_NAME, "must match [A-Za-z0-9_.:-]{1,64}"),
  payload: z.unknown().optional(),
  ttlSeconds: z.number().int().min(1).max(30 * 86_400).optional(),
});
const CommandParams = DeviceParams.extend({ cmdId: z.string().openapi({ param: { name: "cmdId", in: "path" } }) });
const ListQuery = z.object({
  status: Status.optional(),
  limit: queryInteger(z.number().int().min(1).max(1000)).default(100),
  cursor: z.string().optional(),
});
const MethodParams = DeviceParams.extend({ name: z.string().regex(COMMAND_NAME).openapi({ param: { name: "name", in: "path" } }) });
const MethodCall = z.strictObject({ payload: z.unknown().optional(), timeoutSeconds: z.number().int().min(1).max(300).optional() });
const MethodAnswer = z.object({ status: z.number().int(), payload: z.unknown() }).openapi("MethodAnswer");

commandRoutes.openapi(
  secured({ scope: "commands:write" }, {
    operationId: "sendCommand",
    method: "post",
    path: "/v1/devices/{id}/commands",
    summary: "Queue a command; it goes out at once on whatever the device is connected with, else on its next connect, in order",
    request: { params: DeviceParams, ...jsonBody(NewCommand) },
    responses: { 201: jsonResponse(Command, "Queued (or already delivered)"), 429: { description: "The device's queue is full (Retry-After)" } },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const { name, payload, ttlSeconds } = c.req.valid("json");
    const cmd = await deviceStub(c.env, device.id).enqueueCommand(name, (payload ?? null) as never, ttlSeconds);
    if (!cmd) throw new ApiError("too-many-requests", "The device's command queue is full: wait for it to drain", {}, { "retry-after": "10" });
    return c.json(cmd, 201);
  },
);

commandRoutes.openapi(
  secured({ scope: "devices:read", deviceParam: "id" }, {
    operationId: "listCommands",
    method: "get",
    path: "/v1/devices/{id}/commands",
    summary: "A device's commands, newest first, optionally of one status",
    request: { params: DeviceParams, query: ListQuery },
    responses: { 200: jsonResponse(z.object({ items: z.array(Command), next_cursor: z.string().nullable() }), "A page of commands") },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const { status, limit, cursor } = c.req.valid("query");
    const before = decodeNumericCursor(cursor);
    const page = await deviceStub(c.env, device.id).listCommands(status ?? null, limit, before);
    return c.json({ items: page.items, next_cursor: page.next === null ? null : encodeCursor(String(page.next)) }, 200);
  },
);

commandRoutes.openapi(
  secured({ scope: "devices:read", deviceParam: "id" }, {
    operationId: "getCommand",
    method: "get",
    path: "/v1/devices/{id}/commands/{cmdId}",
    summary: "One command: its status and result",
    request: { params: CommandParams },
    responses: { 200: jsonResponse(Command, "The command") },
  }),
  async (c) => {
    const { id, cmdId } = c.req.valid("param");
    const device = await getDevice(c.env, id);
    const cmd = await deviceStub(c.env, device.id).getCommand(cmdId);
    if (!cmd) throw new ApiError("not-found", `No command "${cmdId}" on device "${device.id}"`);
    return c.json(cmd, 200);
  },
);

commandRoutes.openapi(
  secured({ scope: "commands:write" }, {
    operationId: "callMethod",
    method: "post",
    path: "/v1/devices/{id}/methods/{name}",
    summary: "Call a direct method on the connected device and return its answer",
    request: { params: MethodParams, ...jsonBody(MethodCall) },
    responses: {
      200: jsonResponse(MethodAnswer, "The device's answer"),
      504: { description: "The device did not answer within timeoutSeconds, or every connection that took the call closed before an answer (application/problem+json)" },
    },
  }),
  async (c) => {
    const { id, name } = c.req.valid("param");
    const device = await getDevice(c.env, id);
    const { payload, timeoutSeconds } = c.req.valid("json");
    const r = await deviceStub(c.env, device.id).invokeMethod(name, (payload ?? null) as never, (timeoutSeconds ?? 30) * 1000);
    if (r === "offline") throw new ApiError("device-offline", `Device "${device.id}" has no connection that takes methods`);
    if (r === "disconnected") throw new ApiError("gateway-timeout", `Device "${device.id}" disconnected before it answered "${name}"`);
    if (r === "timeout") throw new ApiError("gateway-timeout", `Device "${device.id}" did not answer "${name}" within ${timeoutSeconds ?? 30} s`);
    return c.json(r, 200);
  },
);
