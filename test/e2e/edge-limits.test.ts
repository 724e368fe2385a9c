/**
 * Rate limits, CORS and the OAuth signing key on a second hub started with small limits, an
 * allow-listed origin and no JWT_SECRET (as a deployment that skipped `wrangler secret put`):
 * 429 with Retry-After per device, per address at the token endpoint and after repeated bad
 * credentials; preflights and CORS headers only for the listed origin; no token issued without
 * a signing key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, apiJson, createDevice } from "./client";
import { RawMqtt } from "./raw-mqtt";
import { CoapWsClient, Opts, codeText, optionUint } from "../clients/coap-ws-client";
import { applyMigrations, freePort, startWrangler } from "../../scripts/hub.mjs";

const ADMIN = "limits-admin-token-limits-admin-token";
const ORIGIN = "https://dash.example";
let dir = "";
let hub: Awaited<ReturnType<typeof startWrangler>>;
const opts = (extra: Parameters<typeof api>[2] = {}) => ({ base: hub.url, token: ADMIN, ...extra });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "umbra-edge-limits-"));
  const envFile = join(dir, "vars.env");
  writeFileSync(envFile, `ADMIN_TOKEN="${ADMIN}"\n`);
  applyMigrations(join(dir, "state"));
  hub = await startWrangler({
    port: await freePort(),
    persistTo: join(dir, "state"),
    envFile,
    // Rates near zero: a refused request stays refused for the whole test, whatever the machine's speed.
    vars: { DEVICE_HTTP_RATE: "0.001", DEVICE_HTTP_BURST: "3", OAUTH_RATE: "0.001", OAUTH_BURST: "2", AUTH_FAILURE_RATE: "0.001", AUTH_FAILURE_BURST: "3", CORS_ORIGINS: `${ORIGIN}, https://other.example/`, JSON_MAX_DEPTH: "deep" },
  });
}, 120_000);

afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("vars", () => {
  it("names a var it cannot use on /health, and uses its default instead", async () => {
    const h = await (await api("GET", "/health", opts({ token: null }))).json() as { config_problems: string[] };
    expect(h.config_problems).toEqual(['JSON_MAX_DEPTH is "deep", not a whole number above 0: using the default, 32']);
    const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
    const deep = await api("POST", "/v1/devices", opts({ body: nested(33), headers: { "content-type": "application/json" } }));
    expect(deep.status).toBe(400);
    expect(await deep.text()).toMatch(/JSON_MAX_DEPTH|nest/i);
  });
});

describe("per-device HTTP writes", () => {
  it("telemetry and shadow POSTs share the device's budget; the next is 429 with Retry-After; other devices are untouched", async () => {
    const token = await createDevice("lim-1", hub.url, ADMIN);
    const other = await createDevice("lim-2", hub.url, ADMIN);
    await apiJson("POST", "/v1/devices/lim-1/telemetry", 202, opts({ token, body: { data: { t: 1 } } }));
    await apiJson("POST", "/v1/devices/lim-1/shadow", 200, opts({ token, body: { state: { reported: { t: 1 } } } }));
    await apiJson("POST", "/v1/devices/lim-1/telemetry", 202, opts({ token, body: { data: { t: 2 } } }));
    const refused = await api("POST", "/v1/devices/lim-1/telemetry", opts({ token, body: { data: { t: 3 } } }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await refused.json()) as { type: string }).type).toMatch(/too-many-requests/);
    expect((await api("POST", "/v1/devices/lim-1/shadow", opts({ body: { state: { desired: { t: 1 } } } }))).status).toBe(429);
    // Reads are not limited, and another device has its own budget.
    expect((await api("GET", "/v1/devices/lim-1/telemetry", opts())).status).toBe(200);
    await apiJson("POST", "/v1/devices/lim-2/telemetry", 202, opts({ token: other, body: { data: { t: 1 } } }));
  });
});

describe("OAuth token endpoint", () => {
  it("without JWT_SECRET issues no token (503 naming the fix), then limits requests per address (429 slow_down)", async () => {
    const client = await apiJson<{ client_id: string; client_secret: string }>("POST", "/v1/oauth-clients", 201, opts({ body: { name: "c", scopes: ["devices:read"] } }));
    const form = `grant_type=client_credentials&client_id=${client.client_id}&client_secret=${client.client_secret}`;
    const post = () => api("POST", "/oauth/token", opts({ token: null, body: form, headers: { "content-type": "application/x-www-form-urlencoded" } }));
    const first = await post();
    expect(first.status).toBe(503);
    expect(((await first.json()) as { detail: string }).detail).toMatch(/JWT_SECRET.*wrangler secret put JWT_SECRET/);
    await post();
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ error: "slow_down", error_description: expect.stringMatching(/retry after/) });
  });
});

describe("repeated bad credentials", () => {
  it("after the address's failures are used up, even a valid credential gets 429 (a right guess looks like a wrong one), on MQTT too", async () => {
    const device = await createDevice("lim-mq", hub.url, ADMIN);
    for (let i = 0; i < 3; i++) expect((await api("GET", "/v1/devices", opts({ token: `wrong-${i}` }))).status).toBe(401);
    const wrong = await api("GET", "/v1/devices", opts({ token: "wrong-again" }));
    expect(wrong.status).toBe(429);
    expect(Number(wrong.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await api("GET", "/v1/devices", opts())).status).toBe(429);
    // MQTT CONNECT shares the address's budget: the right token is refused, in MQTT's terms.
    const v5 = await RawMqtt.open("/mqtt/lim-mq", 5, hub.url);
    expect((await v5.connect("lim-mq", device)).reasonCode).toBe(0x9f);
    const v4 = await RawMqtt.open("/mqtt", 4, hub.url);
    expect((await v4.connect("lim-mq", device)).reasonCode).toBe(0x03);
    // CoAP too: 4.29 with Max-Age, where it said 4.01 "invalid device token", as to a revoked one.
    const coap = await CoapWsClient.connect(`${hub.url.replace(/^http/, "ws")}/.well-known/coap`);
    const locked = await coap.request({ method: "GET", path: "shadow", query: [`auth=${device}`] });
    expect(codeText(locked.code)).toBe("4.29");
    expect(optionUint(locked, Opts.MAX_AGE)).toBeGreaterThan(0);
    await coap.close();
    // Unauthenticated routes still answer.
    expect((await api("GET", "/health", opts({ token: null }))).status).toBe(200);
  });
});

describe("CORS", () => {
  it("answers a preflight from a listed origin with methods, headers, max-age and Vary", async () => {
    const r = await api("OPTIONS", "/v1/devices", opts({ token: null, headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } }));
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(r.headers.get("access-control-allow-methods")).toContain("POST");
    expect(r.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(Number(r.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    expect(r.headers.get("vary")).toMatch(/Origin/);
    const other = await api("OPTIONS", "/v1/devices", opts({ token: null, headers: { origin: "https://other.example", "access-control-request-method": "GET" } }));
    expect(other.headers.get("access-control-allow-origin")).toBe("https://other.example");
  });

  it("marks answers (errors too) for a listed origin, and gives an unlisted origin no CORS headers", async () => {
    const ok = await api("GET", "/health", opts({ token: null, headers: { origin: ORIGIN } }));
    expect(ok.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(ok.headers.get("access-control-expose-headers")).toContain("Retry-After");
    const err = await api("GET", "/v1/nothing", opts({ token: null, headers: { origin: ORIGIN } }));
    expect(err.status).toBe(404);
    expect(err.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const evil = await api("OPTIONS", "/v1/devices", opts({ token: null, headers: { origin: "https://evil.example", "access-control-request-method": "POST" } }));
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect(evil.headers.get("access-control-allow-methods")).toBeNull();
    const evilGet = await api("GET", "/health", opts({ token: null, headers: { origin: "https://evil.example" } }));
    expect(evilGet.headers.get("access-control-allow-origin")).toBeNull();
    expect(evilGet.headers.get("vary")).toMatch(/Origin/);
  });
});
