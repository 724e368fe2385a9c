/** Telemetry request bodies → stored rows. */
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import type { TelemetryRow } from "../durable-objects/device/store";
import type { JsonObject } from "../protocols/json-value";
import { ApiError } from "./errors";
import { readBody } from "./content";

type Sample = { data: Record<string, unknown>; ts?: number | undefined };

/** Reads a JSON telemetry body (`{data, ts?}` or an array of them) into rows. */
export async function readTelemetry(c: Context<AppEnv>, schema: z.ZodType<Sample | Sample[]>): Promise<TelemetryRow[]> {
  const body = await readBody(c, schema);
  const now = Date.now();
  const samples = Array.isArray(body) ? body : [body];
  return samples.map((s) => {
    if (Object.keys(s.data).length === 0) throw new ApiError("invalid-request", "data must have at least one field");
    return { ts: s.ts ?? now, data: s.data as JsonObject };
  });
}
