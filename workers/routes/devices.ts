/** `/v1/devices`: the device registry. */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { DeviceIdSchema, DeviceParams, DeviceSchema, JsonObjectSchema, PageQuery, TagSchema, jsonBody, jsonResponse, pageOf } from "./schemas";
import { MAX_ATTRIBUTE_FILTERS, deleteDevice, deviceView, getDevice, insertDevice, listDevices, updateDevice } from "../registry/devices";
import { issueCredential } from "../registry/credentials";
import { randomId } from "../auth/crypto";
import { ApiError } from "../errors";
import { deviceStub } from "../objects";
import { pushOrPark } from "../registry/parked-pushes";
import { logError, logText } from "../../protocols/log-text";

export const devices = router();

const DeviceFields = {
  name: z.string().max(256).nullable().optional(),
  attributes: JsonObjectSchema.optional(),
  tags: z.array(TagSchema).max(64).optional(),
  enabled: z.boolean().optional(),
};
const CreateDevice = z.strictObject({ id: DeviceIdSchema.optional(), ...DeviceFields }).openapi("CreateDevice");
const PatchDevice = z.strictObject(DeviceFields).openapi("PatchDevice");
const CreatedDevice = z
  .object({ device: DeviceSchema, credential: z.object({ id: z.string(), token: z.string() }) })
  .openapi("CreatedDevice");

devices.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "createDevice",
method: "post",
    path: "/v1/devices",
    summary: "Register a device; its first credential is returned once",
    request: jsonBody(CreateDevice),
    responses: { 201: jsonResponse(CreatedDevice, "Created"), 409: { description: "The id is taken" } },
  }),
  async (c) => {
    const input = c.req.valid("json");
    const row = await insertDevice(c.env, input, input.id ?? randomId("dev"));
    const cred = await issueCredential(c.env, row.id);
    return c.json({ device: deviceView(row), credential: { id: cred.id, token: cred.token } }, 201);
  },
);

const ListQuery = PageQuery.extend({
  tag: z.string().optional(),
  group: z.string().optional(),
  prefix: z.string().max(128).optional(),
  attr: z
    .record(z.string(), z.string())
    .optional()
    .openapi({
      param: { name: "attr", in: "query", style: "deepObject", explode: true },
      description: "Attribute filters, compared as text: `attr[room]=kitchen`, also written `attr.room=kitchen` (at most 32)",
      example: { room: "kitchen" },
    }),
});

/** `attr.<key>=v` and `attr[<key>]=v` query parameters → `{key: v}`. */
function attributeFilters(query: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!key.startsWith("attr.") && !key.startsWith("attr[")) continue;
    const name = key.startsWith("attr.") ? key.slice(5) : /^attr\[(.*)\]$/.exec(key)?.[1];
    if (name === undefined || !/^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,127}$/.test(name)) throw new ApiError("invalid-request", `bad attribute filter "${key}"`);
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  if (Object.keys(out).length > MAX_ATTRIBUTE_FILTERS) throw new ApiError("invalid-request", `at most ${MAX_ATTRIBUTE_FILTERS} attribute filters may be given`);
  return out;
}

devices.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "listDevices",
method: "get",
    path: "/v1/devices",
    summary: "List devices, filtered by tag, group, attribute or id prefix",
    request: { query: ListQuery },
    responses: { 200: jsonResponse(pageOf(DeviceSchema, "DevicePage"), "A page of devices") },
  }),
  async (c) => {
    const { attr: _declaredOnly, ...q } = c.req.valid("query");
    return c.json(await listDevices(c.env, { ...q, attributes: attributeFilters(c.req.query()) }), 200);
  },
);

devices.openapi(
  secured({ scope: "devices:read", deviceParam: "id" }, {
    operationId: "getDevice",
method: "get",
    path: "/v1/devices/{id}",
    summary: "Read a device, with its connection status",
    request: { params: DeviceParams },
    responses: { 200: jsonResponse(DeviceSchema, "The device") },
  }),
  async (c) => {
    const row = await getDevice(c.env, c.req.valid("param").id);
    const status = await deviceStub(c.env, row.id).status();
    return c.json({ ...deviceView(row), status }, 200);
  },
);

devices.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "updateDevice",
method: "patch",
    path: "/v1/devices/{id}",
    summary: "Change a device's name, attributes (replaced whole), tags or enabled flag",
    request: { params: DeviceParams, ...jsonBody(PatchDevice) },
    responses: { 200: jsonResponse(DeviceSchema, "The device") },
  }),
  async (c) => {
    const row = await updateDevice(c.env, c.req.valid("param").id, c.req.valid("json"));
    if (!row.enabled) await pushOrPark(c.env, [{ kind: "device-disabled", id: row.id }]);
    return c.json(deviceView(row), 200);
  },
);

devices.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "deleteDevice",
method: "delete",
    path: "/v1/devices/{id}",
    summary: "Delete a device, its credentials and all its state",
    request: { params: DeviceParams },
    responses: { 204: { description: "Deleted" } },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    await getDevice(c.env, id); // 404 before any object is touched
    // The object first: a wipe that fails (or a crash) leaves the device registered, so the same
    // DELETE can be sent again. Registry first, it left the old state in the object, out of reach
    // of a retry (404) and there for a device created again with this id.
    const stub = deviceStub(c.env, id);
    await stub.wipe();
    await deleteDevice(c.env, id);
    // Again, for whatever a reconnect wrote between the two (the credentials worked until now).
    await stub.wipe().catch((err: unknown) => console.error(`device ${logText(id)}: second wipe after its deletion failed: ${logError(err)}`));
    return c.body(null, 204);
  },
);
