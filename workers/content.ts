/** Request bodies: JSON today, validated against the route's schema. */
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { ApiError, validationError } from "./errors";

/** Reads and validates a JSON body (malformed → 400 malformed-json, invalid → 400 invalid-request). */
export async function readBody<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new ApiError("malformed-json", "The body is not valid JSON");
  }
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error.issues);
  return r.data;
}
