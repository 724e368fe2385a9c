/** `/v1/devices/{id}/telemetry`: devices send samples over HTTP; apps read them back. */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { DeviceParams, JsonObjectSchema, jsonResponse, queryInteger } from "./schemas";
import { getDevice } from "../registry/devices";
import { deviceStub } from "../objects";
import { ApiError } from "../errors";
import { decodeCursor, encodeCursor } from "../registry/pagination";
import { TELEMETRY_MEDIA, TelemetryIn, decodeTelemetry, telemetryLimits } from "../telemetry-body";
import { mediaType, unsupportedMedia } from "../content";
import { limitDeviceWrite } from "../limits/device-http";
import { HistoryFields, Instant, KeyBucket, deviceHistory } from "./telemetry-history";
import { rangeProblem } from "../telemetry-history";

export const telemetry = router();
telemetry.openAPIRegistry.register("TelemetryIn", TelemetryIn);

const ValueType = z.enum(["data", "sum"]).openapi({ description: '"data": a SenML data value (vd, bytes as base64url text); "sum": the record had only a sum (s)' });
const Sample = z
  .object({
    ts: z.number().int(),
    data: JsonObjectSchema,
    units: z.record(z.string(), z.string()).optional().openapi({ description: "SenML unit (u or bu) per key of data" }),
    sums: z.record(z.string(), z.number()).optional().openapi({ description: "SenML sum (s) per key whose record had one" }),
    types: z.record(z.string(), ValueType).optional().openapi({ description: "Keys whose value is not a plain value" }),
  })
  .openapi("TelemetrySample");
const Latest = z.object({ ts: z.number(), value: z.unknown(), unit: z.string().optional(), sum: z.number().optional(), type: ValueType.optional() }).openapi("TelemetryLatest");

const Query = z.object({
  from: Instant.optional(),
  to: Instant.optional(),
  limit: queryInteger(z.number().int().min(1).max(10_000)).default(1000),
  cursor: z.string().optional(),
  ...HistoryFields,
  keys: z.string().optional().openapi({ example: "temp,hum", description: "With bucket: the keys to aggregate (default every key the device sent, at most 32)" }),
});

telemetry.openapi(
  secured({ scope: "devices:write", deviceParam: "id" }, {
    operationId: "sendTelemetry",
method: "post",
    path: "/v1/devices/{id}/telemetry",
    summary: "Send telemetry: JSON or CBOR `{data, ts?}` (or an array), or a SenML pack (JSON or CBOR)",
    request: {
      params: DeviceParams,
      body: {
        // Plain schemas (not zod): the handler decodes every format itself, so no JSON
        // validator may run first on `application/senml+json`.
        content: {
          "application/json": { schema: { $ref: "#/components/schemas/TelemetryIn" } },
          "application/cbor": { schema: { $ref: "#/components/schemas/TelemetryIn" } },
          "application/senml+json": { schema: { type: "array", items: { type: "object" }, description: "SenML pack (RFC 8428)" } },
          "application/senml+cbor": { schema: { type: "string", format: "binary", description: "SenML pack, CBOR with integer labels" } },
        },
        required: true,
      },
    },
    responses: { 202: jsonResponse(z.object({ accepted: z.number().int() }), "Stored"), 429: { description: "Over the device's HTTP write limit (Retry-After)" } },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    await limitDeviceWrite(c.env, device.id);
    const format = TELEMETRY_MEDIA[mediaType(c)];
    if (!format) throw unsupportedMedia(c.req.method, Object.keys(TELEMETRY_MEDIA), mediaType(c));
    const rows = decodeTelemetry(format, new Uint8Array(await c.req.arrayBuffer()), Date.now(), telemetryLimits(c.env));
    const accepted = await deviceStub(c.env, device.id).ingestTelemetry(rows);
    return c.json({ accepted }, 202);
  },
);

telemetry.openapi(
  secured({ scope: "devices:read", deviceParam: "id" }, {
    operationId: "readTelemetry",
method: "get",
    path: "/v1/devices/{id}/telemetry",
    summary: "Stored samples with from <= ts < to, oldest first; with bucket=, aggregated buckets per key",
    request: { params: DeviceParams, query: Query },
    responses: {
      200: jsonResponse(
        z.union([
          z.object({ items: z.array(Sample), next_cursor: z.string().nullable() }).openapi("TelemetryPage"),
          z.object({ items: z.array(KeyBucket) }).openapi("TelemetryBuckets", { description: "With bucket=: buckets with samples, by key then time" }),
        ]),
        "Samples, or buckets",
      ),
    },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const q = c.req.valid("query");
    if (q.bucket !== undefined) return c.json(await deviceHistory(c.env, device.id, { ...q, bucket: q.bucket }), 200);
    // As with buckets: an empty or backwards range is a mistake, not an empty answer.
    const range = q.from !== undefined && q.to !== undefined ? rangeProblem(q.from, q.to) : null;
    if (range) throw new ApiError("invalid-request", range);
    const raw = decodeCursor(q.cursor);
    // `<ts>:<seq>` as a page wrote it: safe integers in their shortest form (a forged 1e23 read as the end).
    const m = raw === null ? null : /^(0|-?[1-9]\d{0,15}):(0|[1-9]\d{0,15})$/.exec(raw);
    const after = m ? { ts: Number(m[1]), seq: Number(m[2]) } : null;
    if (raw !== null && (!after || !Number.isSafeInteger(after.ts) || !Number.isSafeInteger(after.seq))) throw new ApiError("invalid-request", "cursor is not one this API handed out");
    // A page may stop short of `limit` when its samples are large (an RPC carries at most 32 MiB): `more` says so.
    const { rows, more } = await deviceStub(c.env, device.id).telemetry({ from: q.from ?? 0, to: q.to ?? Number.MAX_SAFE_INTEGER, limit: q.limit, after });
    const last = rows[rows.length - 1];
    const items = rows.map(({ seq: _seq, ...row }) => row);
    return c.json({ items, next_cursor: more && last ? encodeCursor(`${last.ts}:${last.seq}`) : null }, 200);
  },
);

telemetry.openapi(
  secured({ scope: "devices:read", deviceParam: "id" }, {
    operationId: "latestTelemetry",
method: "get",
    path: "/v1/devices/{id}/telemetry/latest",
    summary: "The latest value of every telemetry key",
    request: { params: DeviceParams },
    responses: { 200: jsonResponse(z.record(z.string(), Latest), "Latest values") },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    return c.json(await deviceStub(c.env, device.id).latestTelemetry(), 200);
  },
);
