/**
 * Telemetry history in time buckets: `GET /v1/devices/{id}/telemetry?bucket=…` (answered here
 * for the device route in telemetry.ts) and the fleet query `GET /v1/telemetry?group=|tag=`,
 * which fans out to the devices' objects, OBJECT_CALLS_AT_ONCE at a time, for at most
 * MAX_FLEET_DEVICES devices.
 */
import { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { router, secured } from "./openapi-route";
import { IdSchema, TagSchema, jsonResponse } from "./schemas";
import { deviceStub } from "../objects";
import { db } from "../db/client";
import { devices, groupMembers } from "../db/schema";
import { ApiError } from "../errors";
import { getGroup } from "../registry/groups";
import { OBJECT_CALLS_AT_ONCE, mapBounded } from "../fan-out";
import {
  AGGREGATES,
  MAX_BUCKETS,
  MAX_FLEET_DEVICES,
  MAX_KEYS,
  combine,
  defaultFrom,
  parseAggregates,
  parseBucket,
  parseKeys,
  pick,
  spanProblem,
  type Aggregate,
  type BucketView,
} from "../telemetry-history";

/** Epoch ms or an ISO 8601 date. */
export const Instant = z
  .string()
  .transform((s, ctx) => {
    const n = /^-?\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: "custom", message: "must be epoch milliseconds or an ISO 8601 date" });
      return z.NEVER;
    }
    return n;
  })
  .openapi({ type: "string", example: "2026-01-01T00:00:00Z" });

/** Query fields of a bucketed history query. */
export const HistoryFields = {
  bucket: z.string().optional().openapi({ example: "1m", description: "Bucket width 1s..1d (s, m, h, d); with it the answer is aggregated buckets. from defaults to to − 24 h (or 9,999 buckets, if fewer), to to now" }),
  agg: z.string().optional().openapi({ example: "avg,min,max,count", description: `Aggregates, any of ${AGGREGATES.join(", ")} (default avg,min,max,count); avg, min, max and sum over numeric values only` }),
};

const AggFields = Object.fromEntries(AGGREGATES.map((a) => [a, (a === "first" || a === "last" ? z.unknown() : z.number().nullable()).optional()]));
/** One bucket of one key, as answered. */
export const KeyBucket = z.object({ ts: z.number().int().openapi({ description: "Bucket start, epoch ms" }), key: z.string(), ...AggFields }).openapi("TelemetryBucket");
const SeriesBucket = z.object({ ts: z.number().int(), ...AggFields }).openapi("TelemetrySeriesBucket");

/** A bucketed query's parameters, checked. */
export interface History {
  from: number;
  to: number;
  bucketMs: number;
  aggs: Aggregate[];
}

/** Checks a bucketed query (400 naming what is wrong). */
export function historyOf(q: { from?: number; to?: number; bucket: string; agg?: string }, now: number): History {
  const bucketMs = parseBucket(q.bucket);
  if (typeof bucketMs === "string") throw new ApiError("invalid-request", bucketMs);
  const aggs = parseAggregates(q.agg);
  if (typeof aggs === "string") throw new ApiError("invalid-request", aggs);
  const to = q.to ?? now;
  const from = q.from ?? defaultFrom(to, bucketMs);
  const span = spanProblem(from, to, bucketMs);
  if (span) throw new ApiError("invalid-request", span);
  return { from, to, bucketMs, aggs };
}

/** `GET /v1/devices/{id}/telemetry?bucket=…`: `{items: [{ts, key, …aggregates}]}`, by key then time. */
export async function deviceHistory(env: Env, deviceId: string, q: { from?: number; to?: number; bucket: string; agg?: string; keys?: string }) {
  const h = historyOf(q, Date.now());
  const keys = parseKeys(q.keys);
  if (typeof keys === "string") throw new ApiError("invalid-request", keys);
  const series = await deviceStub(env, deviceId).telemetryBuckets({ keys, from: h.from, to: h.to, bucketMs: h.bucketMs }, MAX_KEYS);
  if (series.length > MAX_KEYS) throw new ApiError("invalid-request", `the device has ${series.length} keys; name at most ${MAX_KEYS} with keys=`);
  return { items: series.flatMap((s) => s.buckets.map((b) => ({ key: s.key, ...pick(b, h.aggs) }))) };
}

/** The fleet history route, mounted by the app (the device route lives in telemetry.ts). */
export const telemetryHistory = router();

const FleetQuery = z.object({
  group: IdSchema.optional(),
  tag: TagSchema.optional(),
  key: z.string().min(1).refine((k) => !k.includes('"'), 'a key may not contain "'),
  from: Instant.optional(),
  to: Instant.optional(),
  bucket: z.string().openapi({ example: "1h", description: "Bucket width 1s..1d (s, m, h, d)" }),
  agg: HistoryFields.agg,
  combine: z.enum(["true", "false"]).optional().openapi({ description: "true: also one combined series across the devices (first and last left out)" }),
});

telemetryHistory.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "fleetTelemetry",
    method: "get",
    path: "/v1/telemetry",
    summary: `One key's history in buckets across a group's or a tag's devices (at most ${MAX_FLEET_DEVICES} devices, ${MAX_BUCKETS} buckets each)`,
    request: { query: FleetQuery },
    responses: {
      200: jsonResponse(
        z
          .object({
            key: z.string(),
            bucket_ms: z.number().int(),
            devices: z.array(z.object({ device_id: z.string(), items: z.array(SeriesBucket) })),
            combined: z.array(SeriesBucket).optional(),
          })
          .openapi("FleetTelemetry"),
        "Per-device buckets (devices by id), and the combined series when asked",
      ),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    if ((q.group === undefined) === (q.tag === undefined)) throw new ApiError("invalid-request", "name exactly one of group= or tag=");
    const h = historyOf(q, Date.now());
    const ids = await fleet(c.env, q.group !== undefined ? { group: q.group } : { tag: q.tag! });
    const series = await mapBounded(ids, OBJECT_CALLS_AT_ONCE, async (id) => (await deviceStub(c.env, id).telemetryBuckets({ keys: [q.key], from: h.from, to: h.to, bucketMs: h.bucketMs }))[0]?.buckets ?? []);
    const body: { key: string; bucket_ms: number; devices: { device_id: string; items: BucketView[] }[]; combined?: BucketView[] } = {
      key: q.key,
      bucket_ms: h.bucketMs,
      devices: ids.map((device_id, i) => ({ device_id, items: series[i]!.map((b) => pick(b, h.aggs)) })),
    };
    if (q.combine === "true") body.combined = combine(series).map((b) => pick(b, h.aggs.filter((a) => a !== "first" && a !== "last")));
    return c.json(body, 200);
  },
);

/** The ids of a group's members or of the devices with a tag; 400 past MAX_FLEET_DEVICES. */
async function fleet(env: Env, f: { group: string } | { tag: string }): Promise<string[]> {
  let rows: { id: string }[];
  if ("group" in f) {
    await getGroup(env, f.group);
    rows = await db(env).select({ id: groupMembers.deviceId }).from(groupMembers).where(eq(groupMembers.groupName, f.group)).orderBy(groupMembers.deviceId).limit(MAX_FLEET_DEVICES + 1).all();
  } else {
    rows = await db(env)
      .select({ id: devices.id })
      .from(devices)
      .where(sql`EXISTS (SELECT 1 FROM json_each(${devices.tags}) WHERE json_each.value = ${f.tag})`)
      .orderBy(devices.id)
      .limit(MAX_FLEET_DEVICES + 1)
      .all();
  }
  if (rows.length > MAX_FLEET_DEVICES) throw new ApiError("invalid-request", `the fleet query covers at most ${MAX_FLEET_DEVICES} devices; this ${"group" in f ? "group" : "tag"} has more`);
  return rows.map((r) => r.id);
}
