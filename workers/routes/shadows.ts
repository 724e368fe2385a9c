/** `/v1/devices/{id}/shadow` (classic) and `/v1/devices/{id}/shadows/{name}`: AWS-style device shadows. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { router, secured } from "./openapi-route";
import { DeviceParams, JsonObjectSchema, PageQuery, jsonResponse, negotiatedResponse, queryInteger } from "./schemas";
import { decodeNumericCursor, encodeCursor } from "../registry/pagination";
import { conditionalRead, conditionalWrite } from "./shadow-conditions";
import { getDevice } from "../registry/devices";
import { deviceStub } from "../objects";
import { ApiError } from "../errors";
import { readBody } from "../content";
import { limitDeviceWrite } from "../limits/device-http";
import { SHADOW_NAME_RULE, validateShadowName } from "../../shadow/shadow-limits";

export const shadows = router();

const NamedParams = DeviceParams.extend({ name: z.string().openapi({ param: { name: "name", in: "path" } }) });
const UpdateShadow = z
  .strictObject({
    // Checked by the shadow itself (AWS error bodies), so described here rather than validated.
    state: z.unknown().openapi({
      type: ["object", "null"],
      description: "`{desired?, reported?}`; `null` deletes a field, a section, or (as `state: null`) both sections",
      properties: {
        desired: { type: ["object", "null"], additionalProperties: true, description: "What the app wants; merged into desired" },
        reported: { type: ["object", "null"], additionalProperties: true, description: "What the device reports; merged into reported" },
      },
      additionalProperties: false,
    }),
    version: z.number().int().min(0).optional(),
    clientToken: z.string().optional(),
  })
  .openapi("ShadowUpdate");
const ConditionalHeaders = z.object({
  "if-match": z.string().optional().openapi({ description: 'Writes and deletes: run only at a version it names (`"3"`, `"3-cbor"` or `*`), else 412' }),
  "if-none-match": z.string().optional().openapi({ description: "Reads: 304 when it names the version and representation that would be sent; writes: 412 when it names the current version (`*`: create only)" }),
});
const ShadowDoc = JsonObjectSchema.openapi("ShadowDocument", { description: "AWS IoT shadow document" });
const HistoryQuery = PageQuery.extend({
  from_version: queryInteger(z.number().int().min(0)).optional().openapi({ description: "Start at this version (an alias kept for older clients; `cursor` wins)" }),
});

/** The first version a history page starts at: the cursor's, else `from_version`, else 0. */
function historyStart(q: z.infer<typeof HistoryQuery>): number {
  return decodeNumericCursor(q.cursor) ?? q.from_version ?? 0;
}
const VersionQuery = z.object({ version: queryInteger(z.number().int().min(0)).optional(), clientToken: z.string().optional() });

/** The shadow name of a request: "" (classic) or a validated `{name}`. */
function shadowName(c: Context<AppEnv>): string {
  const r = validateShadowName(c.req.param("name"));
  if (!r.ok) throw new ApiError("invalid-id", `shadow name must match ${SHADOW_NAME_RULE}`);
  return r.name;
}

async function device(c: Context<AppEnv>) {
  const row = await getDevice(c.env, c.req.param("id") ?? "");
  return deviceStub(c.env, row.id);
}

/** The four routes of one shadow (classic or named); registered twice below. */
function shadowRoutes<P extends string>(path: P, params: typeof DeviceParams | typeof NamedParams, label: string, noun: "Shadow" | "NamedShadow") {
  shadows.openapi(
    secured({ scope: "shadows:read", deviceParam: "id" }, {
      operationId: `get${noun}`,
      method: "get",
      path,
      summary: `Read ${label} (state, computed delta, metadata, version)`,
      request: { params, headers: ConditionalHeaders },
      responses: { 200: negotiatedResponse(ShadowDoc, "The shadow (header ETag: its version, per representation)"), 304: { description: "If-None-Match names the current version" } },
    }),
    async (c) => conditionalRead(c, await (await device(c)).shadow(shadowName(c), { kind: "get" })),
  );

  shadows.openapi(
    secured({ scope: "shadows:write", deviceParam: "id" }, {
      operationId: `update${noun}`,
      method: "post",
      path,
      summary: `Update ${label}: merge desired/reported; a stale version is 409`,
      request: { params, headers: ConditionalHeaders, body: { content: { "application/json": { schema: UpdateShadow }, "application/cbor": { schema: UpdateShadow } }, required: true } },
      responses: { 200: negotiatedResponse(ShadowDoc, "Accepted (AWS update/accepted body)"), 409: { description: "Version conflict" }, 412: { description: "If-Match names another version, or If-None-Match the current one (`*`: the shadow exists)" }, 413: { description: "Too large" }, 429: { description: "Over the device's HTTP write limit (Retry-After)" } },
    }),
    async (c) => {
      const row = await getDevice(c.env, c.req.param("id") ?? "");
      await limitDeviceWrite(c.env, row.id);
      const stub = deviceStub(c.env, row.id);
      const body = await readBody(c, UpdateShadow);
      const name = shadowName(c);
      return conditionalWrite(c, () => stub.shadow(name, { kind: "get" }), (version, condition) => stub.shadow(name, { kind: "update", ...body, ...(version === undefined ? {} : { version }) }, 0, condition), body.version);
    },
  );

  shadows.openapi(
    secured({ scope: "shadows:write", deviceParam: "id" }, {
      operationId: `delete${noun}`,
      method: "delete",
      path,
      summary: `Delete ${label} (its version counter is kept)`,
      request: { params, headers: ConditionalHeaders, query: VersionQuery },
      responses: { 200: negotiatedResponse(ShadowDoc, "Deleted (AWS delete/accepted body)"), 409: { description: "Version conflict (`version` is not the current one)" }, 412: { description: "If-Match names another version, or If-None-Match the current one (`*`: the shadow exists)" } },
    }),
    async (c) => {
      const q = c.req.valid("query") as z.infer<typeof VersionQuery>;
      const stub = await device(c);
      const name = shadowName(c);
      return conditionalWrite(c, () => stub.shadow(name, { kind: "get" }), (version, condition) => stub.shadow(name, { kind: "delete", ...q, ...(version === undefined ? {} : { version }) }, 0, condition), q.version);
    },
  );

  shadows.openapi(
    secured({ scope: "shadows:read", deviceParam: "id" }, {
      operationId: `${noun === "Shadow" ? "shadow" : "namedShadow"}History`,
      method: "get",
      path: `${path}/history`,
      summary: `Past accepted versions of ${label}, oldest first`,
      request: { params, query: HistoryQuery },
      responses: { 200: jsonResponse(z.object({ items: z.array(ShadowDoc), next_cursor: z.string().nullable() }), "Versions") },
    }),
    async (c) => {
      const q = c.req.valid("query") as z.infer<typeof HistoryQuery>;
      const { rows, more } = await (await device(c)).shadowHistory(shadowName(c), historyStart(q), q.limit);
      const next = more ? encodeCursor(String((rows[rows.length - 1]?.version ?? 0) + 1)) : null;
      return c.json({ items: rows, next_cursor: next }, 200);
    },
  );
}

shadowRoutes("/v1/devices/{id}/shadow", DeviceParams, "the classic shadow", "Shadow");
shadowRoutes("/v1/devices/{id}/shadows/{name}", NamedParams, "a named shadow", "NamedShadow");

shadows.openapi(
  secured({ scope: "shadows:read", deviceParam: "id" }, {
    operationId: "listShadowNames",
method: "get",
    path: "/v1/devices/{id}/shadows",
    summary: "Names of a device's shadows (\"\" is the classic shadow)",
    request: { params: DeviceParams },
    responses: { 200: jsonResponse(z.object({ items: z.array(z.string()), next_cursor: z.null() }), "Shadow names") },
  }),
  async (c) => {
    const items: string[] = [...(await (await device(c)).shadowNames())];
    return c.json({ items, next_cursor: null }, 200);
  },
);
