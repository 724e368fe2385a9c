/** `/v1/channels`: cross-device pub/sub spaces (`channels/<id>/messages/...` over MQTT). */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { IdSchema, JsonObjectSchema, PageQuery, jsonBody, jsonResponse, pageOf } from "./schemas";
import { connectDevice, createChannel, deleteChannel, disconnectDevice, getChannel, listChannelDevices, listChannels, updateChannel } from "../registry/channels";
import { randomId } from "../auth/crypto";

export const channelRoutes = router();

const Channel = z
  .object({ id: z.string(), name: z.string().nullable(), metadata: JsonObjectSchema, created_at: z.string(), updated_at: z.string() })
  .openapi("Channel");
const NewChannel = z.strictObject({ id: IdSchema.optional(), name: z.string().max(256).nullable().optional(), metadata: JsonObjectSchema.optional() });
const PatchChannel = z.strictObject({ name: z.string().max(256).nullable().optional(), metadata: JsonObjectSchema.optional() });
const ChannelParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const MemberParams = ChannelParams.extend({ deviceId: z.string().openapi({ param: { name: "deviceId", in: "path" } }) });

channelRoutes.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "createChannel",
method: "post",
    path: "/v1/channels",
    summary: "Create a channel",
    request: jsonBody(NewChannel),
    responses: { 201: jsonResponse(Channel, "Created"), 409: { description: "The id is taken" } },
  }),
  async (c) => {
    const { id, name, metadata } = c.req.valid("json");
    return c.json(await createChannel(c.env, id ?? randomId("ch"), name ?? null, metadata ?? {}), 201);
  },
);

channelRoutes.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "listChannels",
method: "get",
    path: "/v1/channels",
    summary: "List channels",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(pageOf(Channel, "ChannelPage"), "A page of channels") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listChannels(c.env, cursor, limit), 200);
  },
);

channelRoutes.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "getChannel",
method: "get",
    path: "/v1/channels/{id}",
    summary: "Read a channel",
    request: { params: ChannelParams },
    responses: { 200: jsonResponse(Channel, "The channel") },
  }),
  async (c) => c.json(await getChannel(c.env, c.req.valid("param").id), 200),
);

channelRoutes.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "updateChannel",
method: "patch",
    path: "/v1/channels/{id}",
    summary: "Change a channel's name or metadata",
    request: { params: ChannelParams, ...jsonBody(PatchChannel) },
    responses: { 200: jsonResponse(Channel, "The channel") },
  }),
  async (c) => c.json(await updateChannel(c.env, c.req.valid("param").id, c.req.valid("json")), 200),
);

channelRoutes.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "deleteChannel",
method: "delete",
    path: "/v1/channels/{id}",
    summary: "Delete a channel",
    request: { params: ChannelParams },
    responses: { 204: { description: "Deleted" } },
  }),
  async (c) => {
    await deleteChannel(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

channelRoutes.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "listChannelDevices",
method: "get",
    path: "/v1/channels/{id}/devices",
    summary: "Devices connected to a channel",
    request: { params: ChannelParams, query: PageQuery },
    responses: { 200: jsonResponse(pageOf(z.object({ device_id: z.string() }), "ChannelMemberPage"), "Connected devices") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listChannelDevices(c.env, c.req.valid("param").id, cursor, limit), 200);
  },
);

channelRoutes.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "connectChannelDevice",
method: "put",
    path: "/v1/channels/{id}/devices/{deviceId}",
    summary: "Connect a device to a channel (it may then publish and subscribe there)",
    request: { params: MemberParams },
    responses: { 204: { description: "Connected" } },
  }),
  async (c) => {
    const { id, deviceId } = c.req.valid("param");
    await connectDevice(c.env, id, deviceId);
    return c.body(null, 204);
  },
);

channelRoutes.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "disconnectChannelDevice",
method: "delete",
    path: "/v1/channels/{id}/devices/{deviceId}",
    summary: "Disconnect a device from a channel",
    request: { params: MemberParams },
    responses: { 204: { description: "Disconnected" } },
  }),
  async (c) => {
    const { id, deviceId } = c.req.valid("param");
    await disconnectDevice(c.env, id, deviceId);
    return c.body(null, 204);
  },
);
