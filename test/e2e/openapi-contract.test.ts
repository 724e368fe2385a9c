/**
 * The hub answers what its own /openapi.json says: for real calls (successes and the errors a
 * client meets), the status is one the operation documents and a JSON body validates against the
 * documented schema (JSON Schema 2020-12, as OpenAPI 3.1 has it). A generated client trusts both.
 */
import { beforeAll, describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import { decode as cborDecode } from "cbor-x";
import { api, createDevice } from "./client";

type Operation = { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
type Doc = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };

let doc: Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

/** The operation serving `method path` (templates like `/v1/devices/{id}` match one segment each). */
function operation(method: string, path: string): Operation {
  const segments = path.split("?")[0]!.split("/");
  for (const [template, ops] of Object.entries(doc.paths)) {
    const t = template.split("/");
    if (t.length === segments.length && t.every((s, i) => s.startsWith("{") || s === segments[i]) && ops[method.toLowerCase()]) return ops[method.toLowerCase()]!;
  }
  throw new Error(`no operation for ${method} ${path}`);
}

/** Makes the call and checks its answer against the document; returns the status and body. */
async function call(method: string, path: string, opts: Parameters<typeof api>[2] = {}): Promise<{ status: number; body: unknown }> {
  const r = await api(method, path, opts);
  const bytes = new Uint8Array(await r.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const op = operation(method, path);
  const documented = op.responses[String(r.status)];
  expect(documented, `${method} ${path} answered ${r.status}, which its operation does not list (${Object.keys(op.responses).join(", ")}): ${text.slice(0, 200)}`).toBeDefined();
  const type = (r.headers.get("content-type") ?? "").split(";")[0]!.trim();
  // Before: a route's own errors (409, 412, 406, …) were documented with no body at all.
  if (text) expect(Object.keys(documented?.content ?? {}), `${method} ${path} → ${r.status} answered ${type}`).toContain(type);
  const body: unknown = !text ? text : type.endsWith("json") ? JSON.parse(text) : type === "application/cbor" ? cborDecode(bytes) : text;
  const schema = documented?.content?.[type]?.schema;
  if (schema !== undefined) {
    const validate = ajv.compile({ $defs: doc.components?.schemas ?? {}, ...rebase(schema) as object });
    expect(validate(body) ? [] : validate.errors, `${method} ${path} → ${r.status}: ${text.slice(0, 300)}`).toEqual([]);
  }
  return { status: r.status, body };
}

/** The document's `#/components/schemas/X` references, pointed at `$defs` of the compiled schema. */
function rebase(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/'));
}

beforeAll(async () => {
  doc = (await (await api("GET", "/openapi.json")).json()) as Doc;
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) doc.components!.schemas![name] = rebase(s);
});

describe("the hub's answers against its OpenAPI document", () => {
  it("documents the 409 of every create whose id is taken, and validates the created bodies", async () => {
    await createDevice("oc-dev");
    const creates: [string, unknown][] = [
      ["/v1/devices", { id: "oc-dev" }],
      ["/v1/groups", { name: "oc-group" }],
      ["/v1/channels", { id: "oc-chan" }],
      ["/v1/policies", { id: "oc-pol", statements: [{ effect: "allow", actions: ["publish"], topics: ["oc/${deviceId}/#"] }] }],
      ["/v1/rules", { id: "oc-rule", name: "oc", sql: "SELECT * FROM telemetry WHERE t > 1", scope: { kind: "device", deviceId: "oc-dev" }, actions: [{ type: "command", name: "x" }] }],
    ];
    for (const [path, body] of creates) {
      const first = await call("POST", path, { body });
      if (path !== "/v1/devices") expect(first.status, path).toBe(201);
      expect((await call("POST", path, { body })).status, path).toBe(409);
    }
  });

  it("validates a policy's simulated decisions, allowed (with the deciding statement) and denied (null)", async () => {
    const simulate = (topic: string) => call("POST", "/v1/policies/oc-pol/simulate", { body: { principal: { deviceId: "oc-dev" }, action: "publish", topic } });
    expect((await simulate("oc/oc-dev/x")).body).toMatchObject({ allowed: true, statement: { index: 0, effect: "allow" } });
    expect((await simulate("elsewhere")).body).toMatchObject({ allowed: false, statement: null });
  });

  it("documents the shadow's conditional and stale-version answers", async () => {
    const url = "/v1/devices/oc-dev/shadows/oc";
    expect((await call("POST", url, { body: { state: { desired: { a: 1 } } }, headers: { "if-none-match": "*" } })).status).toBe(200);
    expect((await call("POST", url, { body: { state: { desired: { a: 2 } } }, headers: { "if-none-match": "*" } })).status).toBe(412);
    expect((await call("POST", url, { body: { state: { desired: { a: 2 } } }, headers: { "if-match": '"9"' } })).status).toBe(412);
    expect((await call("POST", url, { body: { state: { desired: { a: 2 } }, version: 9 } })).status).toBe(409);
    expect((await call("DELETE", `${url}?version=9`)).status).toBe(409);
    expect((await call("GET", url)).status).toBe(200);
    // Before: CBOR was answered, and only JSON documented.
    expect((await call("GET", url, { headers: { accept: "application/cbor" } })).status).toBe(200);
    expect((await call("DELETE", url)).status).toBe(200);
  });

  it("documents the live stream's 406 for a plain GET", async () => {
    expect((await call("GET", "/v1/devices/oc-dev/events")).status).toBe(406);
  });

  it("validates reads of what was made", async () => {
    for (const path of ["/v1/devices", "/v1/devices/oc-dev", "/v1/groups", "/v1/channels", "/v1/policies", "/v1/policies/oc-pol", "/v1/rules", "/v1/rules/oc-rule", "/v1/devices/oc-dev/commands", "/v1/devices/oc-dev/shadows"]) {
      expect((await call("GET", path)).status, path).toBe(200);
    }
    expect((await call("GET", "/v1/devices/nobody")).status).toBe(404);
    expect((await call("GET", "/v1/devices?limit=0")).status).toBe(400);
    // A forged position (base64url of "-5"): before, the commands list answered an empty page, as if it ended.
    const forged = Buffer.from("-5").toString("base64url");
    for (const path of ["/v1/devices/oc-dev/commands", "/v1/devices/oc-dev/shadows/oc/history"]) expect((await call("GET", `${path}?cursor=${forged}`)).status, path).toBe(400);
    for (const key of ["99999999999999999999999:1", "-0:0", "1:01"]) {
      expect((await call("GET", `/v1/devices/oc-dev/telemetry?cursor=${Buffer.from(key).toString("base64url")}`)).status, key).toBe(400);
    }
  });
});
