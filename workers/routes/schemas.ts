/** Shared request/response schemas; the OpenAPI document is generated from these. */
import { z } from "@hono/zod-openapi";
import { SCOPES } from "../auth/principal";
import { APP_USERNAME, USER_ID, USER_ID_RULE } from "../registry/ids";
import { isJsonObject } from "../../protocols/json-value";

/** RFC 9457 problem details. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .openapi("Problem");

/**
 * A JSON object with any values, passed on as parsed. `z.record` (like `z.object`) rebuilds the
 * object by assignment, so an own `__proto__` key, which `JSON.parse` and the CBOR decoder keep
 * as an ordinary field, became the copy's prototype and vanished from what was stored; and it
 * refused an object with a `constructor` field that is not a function (`{"constructor":{}}`) as
 * not a record. This takes any non-array object (the issue z.record gives otherwise) and hands on
 * the input itself; the OpenAPI is the same.
 */
export const JsonObjectSchema = z
  .custom<Record<string, unknown>>()
  .superRefine((value, ctx) => {
    if (!isJsonObject(value)) ctx.addIssue({ code: "invalid_type", expected: "record", input: value });
  })
  .openapi({ type: "object", additionalProperties: {} });

/** Every user-chosen id (device, channel, group): one rule, see registry/ids.ts. */
export const IdSchema = z.string().regex(USER_ID, USER_ID_RULE).openapi({ pattern: USER_ID.source });
/**
 * A new device's id: every id but `app`, the MQTT user name that signs in an app session on `/mqtt`
 * (a device `app` could never sign in there with its id as user name).
 */
export const DeviceIdSchema = IdSchema.refine((id) => id !== APP_USERNAME, { message: `"${APP_USERNAME}" is reserved (the MQTT user name of app sessions)` });

export const DeviceSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    attributes: JsonObjectSchema,
    tags: z.array(z.string()),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    status: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("Device");

export const TagSchema = z.string().min(1).max(128);

export const ScopeSchema = z.enum(SCOPES);

/**
 * A whole number in a query string, written in digits: `Number()` (and so `z.coerce`) would also
 * take `1e2`, ` 3`, `0x10` and `""`. The document still says `integer`, with `schema`'s bounds.
 * @example queryInteger(z.number().int().min(1).max(1000)).default(100)
 */
export function queryInteger(schema: z.ZodNumber) {
  return z.preprocess((v, ctx) => {
    if (typeof v !== "string") return v;
    if (/^\d{1,15}$/.test(v)) return Number(v);
    ctx.addIssue({ code: "custom", message: `expected a whole number written in digits, got "${v.slice(0, 20)}"` });
    return z.NEVER;
  }, schema);
}

/** `?cursor=&limit=` on every list. */
export const PageQuery = z.object({
  cursor: z.string().optional(),
  limit: queryInteger(z.number().int().min(1).max(1000)).default(100),
});

/** A page of items and the cursor of the next page. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

/** `{id}` path parameter of device routes. */
export const DeviceParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

/** A JSON request body that allows no unknown fields. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { body: { content: { "application/json": { schema } }, required: true, description } };
}

/** A JSON response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/** A response in JSON, or in CBOR for `Accept: application/cbor` (content.ts `negotiated`). */
export function negotiatedResponse<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema }, "application/cbor": { schema } }, description };
}
