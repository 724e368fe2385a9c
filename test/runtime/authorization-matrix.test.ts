/**
 * Every secured route in /openapi.json gets no credential, a wrong one, a revoked one, one
 * lacking its scope, and another device's token, and must answer 401/403 each time. Driven by
 * the document, so a route added later is covered without touching this file.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, json } from "./helpers";
import { SCOPES } from "../../workers/auth/principal";

interface Operation {
  method: string;
  path: string;
  scope: string;
  deviceAccess: boolean;
}

let ops: Operation[] = [];
const tokens = { revoked: "", lacking: new Map<string, string>(), device: "" };

beforeAll(async () => {
  const doc = await json<{ paths: Record<string, Record<string, { security?: unknown[]; "x-umbra-scope"?: string; "x-umbra-device-access"?: boolean }>> }>(
    call("GET", "/openapi.json", { token: null }),
    200,
  );
  ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      // Secured routes carry their scope; the plain ones (health, token endpoint, sockets) authenticate otherwise.
      .filter(([, op]) => op["x-umbra-scope"] !== undefined)
      .map(([method, op]) => ({ method: method.toUpperCase(), path, scope: op["x-umbra-scope"] ?? "", deviceAccess: op["x-umbra-device-access"] === true })),
  );
  await json(call("POST", "/v1/devices", { body: { id: "matrix-target" } }), 201);
  const other = await json<{ credential: { token: string } }>(call("POST", "/v1/devices", { body: { id: "matrix-other" } }), 201);
  tokens.device = other.credential.token;
  const revoked = await json<{ id: string; key: string }>(call("POST", "/v1/api-keys", { body: { name: "revoked", scopes: [...SCOPES] } }), 201);
  await call("DELETE", `/v1/api-keys/${revoked.id}`);
  tokens.revoked = revoked.key;
  for (const scope of SCOPES) {
    const others = SCOPES.filter((s) => s !== scope && s !== "admin");
    const key = await json<{ key: string }>(call("POST", "/v1/api-keys", { body: { name: `all-but-${scope}`, scopes: others } }), 201);
    tokens.lacking.set(scope, key.key);
  }
});

/** Fills path parameters with values that exist, so only the credential can be wrong. */
function concrete(path: string): string {
  return path
    .replace("{id}", "matrix-target")
    .replace("{deviceId}", "matrix-target")
    .replace(/\{[A-Za-z]+\}/g, "x");
}

describe("authorization matrix", () => {
  it("covers every secured route in the OpenAPI document", () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const op of ops) expect(SCOPES as readonly string[]).toContain(op.scope);
  });

  it("answers 401 or 403 to every bad credential on every route", async () => {
    const failures: string[] = [];
    for (const op of ops) {
      const path = concrete(op.path);
      const body = op.method === "GET" || op.method === "DELETE" ? undefined : {};
      const cases: [string, string | null, number][] = [
        ["none", null, 401],
        ["wrong", "definitely-not-a-token", 401],
        ["wrong-api-key", "umk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401],
        ["wrong-jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", 401],
        ["revoked", tokens.revoked, 401],
        ["lacking-scope", tokens.lacking.get(op.scope) ?? "", 403],
        ["other-device", tokens.device, 403],
      ];
      for (const [name, token, want] of cases) {
        const r = await call(op.method, path, { token, body });
        if (r.status !== want) failures.push(`${op.method} ${op.path} with ${name}: ${r.status}, wanted ${want}`);
        else expect(r.headers.get("content-type")).toBe("application/problem+json");
      }
    }
    expect(failures).toEqual([]);
    // Seven sequential requests per route, and the routes keep coming: ~20 s alone on a loaded 2-core machine.
  }, 120_000);
});
