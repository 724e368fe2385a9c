/** `/v1/groups`: device groups and their members. */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { IdSchema, PageQuery, jsonBody, jsonResponse, pageOf } from "./schemas";
import { addMember, createGroup, deleteGroup, getGroup, listGroups, listMembers, removeMember, updateGroup } from "../registry/groups";

export const groups = router();

const Group = z
  .object({ name: z.string(), description: z.string().nullable(), created_at: z.string(), updated_at: z.string() })
  .openapi("Group");
const NewGroup = z.strictObject({ name: IdSchema, description: z.string().max(1024).nullable().optional() });
const PatchGroup = z.strictObject({ description: z.string().max(1024).nullable() });
const GroupParams = z.object({ name: z.string().openapi({ param: { name: "name", in: "path" } }) });
const MemberParams = GroupParams.extend({ deviceId: z.string().openapi({ param: { name: "deviceId", in: "path" } }) });

groups.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "createGroup",
method: "post",
    path: "/v1/groups",
    summary: "Create a group",
    request: jsonBody(NewGroup),
    responses: { 201: jsonResponse(Group, "Created"), 409: { description: "The name is taken" } },
  }),
  async (c) => {
    const { name, description } = c.req.valid("json");
    return c.json(await createGroup(c.env, name, description ?? null), 201);
  },
);

groups.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "listGroups",
method: "get",
    path: "/v1/groups",
    summary: "List groups",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(pageOf(Group, "GroupPage"), "A page of groups") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listGroups(c.env, cursor, limit), 200);
  },
);

groups.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "getGroup",
method: "get",
    path: "/v1/groups/{name}",
    summary: "Read a group",
    request: { params: GroupParams },
    responses: { 200: jsonResponse(Group, "The group") },
  }),
  async (c) => c.json(await getGroup(c.env, c.req.valid("param").name), 200),
);

groups.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "updateGroup",
method: "patch",
    path: "/v1/groups/{name}",
    summary: "Change a group's description",
    request: { params: GroupParams, ...jsonBody(PatchGroup) },
    responses: { 200: jsonResponse(Group, "The group") },
  }),
  async (c) => c.json(await updateGroup(c.env, c.req.valid("param").name, c.req.valid("json").description), 200),
);

groups.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "deleteGroup",
method: "delete",
    path: "/v1/groups/{name}",
    summary: "Delete a group (its devices stay)",
    request: { params: GroupParams },
    responses: { 204: { description: "Deleted" } },
  }),
  async (c) => {
    await deleteGroup(c.env, c.req.valid("param").name);
    return c.body(null, 204);
  },
);

groups.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "listGroupDevices",
method: "get",
    path: "/v1/groups/{name}/devices",
    summary: "List a group's members",
    request: { params: GroupParams, query: PageQuery },
    responses: { 200: jsonResponse(pageOf(z.object({ device_id: z.string() }), "MemberPage"), "Members") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listMembers(c.env, c.req.valid("param").name, cursor, limit), 200);
  },
);

groups.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "addGroupDevice",
    method: "put",
    path: "/v1/groups/{name}/devices/{deviceId}",
    summary: "Add a device to a group",
    request: { params: MemberParams },
    responses: { 204: { description: "Added" } },
  }),
  async (c) => {
    const { name, deviceId } = c.req.valid("param");
    await addMember(c.env, name, deviceId);
    return c.body(null, 204);
  },
);

groups.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "removeGroupDevice",
method: "delete",
    path: "/v1/groups/{name}/devices/{deviceId}",
    summary: "Remove a device from a group",
    request: { params: MemberParams },
    responses: { 204: { description: "Removed" } },
  }),
  async (c) => {
    const { name, deviceId } = c.req.valid("param");
    await removeMember(c.env, name, deviceId);
    return c.body(null, 204);
  },
);
