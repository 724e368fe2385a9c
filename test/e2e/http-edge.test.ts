/**
 * The HTTP edge as curl and raw sockets meet it: bodies of the wrong type (415 on every route
 * that takes one), JSON and CBOR nested 5,000 levels (400 everywhere), oversized chunked bodies
 * (413, and the same keep-alive connection still answers), 405 with Allow, ids "." and "..",
 * forged internal headers. Routes are taken from /openapi.json, so a route added later is covered.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { api, apiJson, createDevice, hubUrl, adminToken } from "./client";
import { JsonSocket } from "./json-socket";

interface BodyOp {
  method: string;
  path: string;
  types: string[];
}

let ops: BodyOp[] = [];
let deviceToken = "";

beforeAll(async () => {
  const doc = await apiJson<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> }; "x-umbra-scope"?: string }>> }>("GET", "/openapi.json", 200, { token: null });
  // Every secured route (the token endpoint answers in RFC 6749's terms instead).
  ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, op]) => op.requestBody !== undefined && op["x-umbra-scope"] !== undefined)
      .map(([method, op]) => ({ method: method.toUpperCase(), path, types: Object.keys(op.requestBody!.content) })),
  );
  deviceToken = await createDevice("edge-1");
});

/** Path parameters filled with things that exist (the device) or at least parse. */
const concrete = (path: string) => path.replace("{id}", "edge-1").replace(/\{[A-Za-z]+\}/g, "x");

/** `{"a":[[[…]]]}` nested `levels` deep: about 10 KB for 5,000 levels. */
const deepJson = (levels: number) => `{"a":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`;

describe("Content-Type", () => {
  it("every route that takes a body refuses another type with 415 naming the accepted ones", async () => {
    expect(ops.length).toBeGreaterThanOrEqual(10);
    const failures: string[] = [];
    for (const op of ops) {
      for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
        const r = await api(op.method, concrete(op.path), { body: '{"id":"x"}', headers: { "content-type": type } });
        const body = (await r.json()) as { type?: string; accepted?: string[] };
        if (r.status !== 415 || !body.type?.endsWith("/unsupported-media-type") || JSON.stringify(body.accepted) !== JSON.stringify(op.types)) {
          failures.push(`${op.method} ${op.path} as ${type}: ${r.status} ${JSON.stringify(body)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("curl -d (form type) no longer creates a device; a missing type is refused too", async () => {
    const form = await api("POST", "/v1/devices", { body: '{"id":"curl-form"}', headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect(form.headers.get("accept-post")).toBe("application/json");
    const none = await fetch(`${hubUrl()}/v1/devices`, { method: "POST", headers: { authorization: `Bearer ${adminToken()}` }, body: new Uint8Array(Buffer.from('{"id":"curl-none"}')) });
    expect(none.status).toBe(415);
    expect((await api("GET", "/v1/devices/curl-form")).status).toBe(404);
    expect((await api("GET", "/v1/devices/curl-none")).status).toBe(404);
    const key = await api("POST", "/v1/api-keys", { body: '{"name":"k","scopes":["admin"]}', headers: { "content-type": "text/plain" } });
    expect(key.status).toBe(415);
  });
});

describe("Content-Type written in other case or spacing (RFC 9110 §8.3.1, §5.6.6)", () => {
  const variants = ["Application/JSON", "APPLICATION/JSON; Charset=utf-8", "application/json ;charset=utf-8"];

  it("every JSON route validates the body the same as for application/json", async () => {
    const failures: string[] = [];
    for (const op of ops.filter((o) => o.types.includes("application/json"))) {
      // An array where an object is expected: refused (400) when validated; read as {} when not.
      const want = (await api(op.method, concrete(op.path), { body: "[]", headers: { "content-type": "application/json" } })).status;
      for (const type of variants) {
        const r = await api(op.method, concrete(op.path), { body: "[]", headers: { "content-type": type } });
        if (r.status !== want) failures.push(`${op.method} ${op.path} as ${type}: ${r.status}, as application/json ${want}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("every JSON route refuses a body that is not UTF-8 (RFC 8259 §8.1) with 400, instead of storing U+FFFD", async () => {
    const bad = new Uint8Array([...Buffer.from('{"id":"utf8-bad","name":"'), 0xff, 0xfe, ...Buffer.from('"}')]);
    const failures: string[] = [];
    for (const op of ops.filter((o) => o.types.includes("application/json"))) {
      const r = await api(op.method, concrete(op.path), { body: bad, headers: { "content-type": "application/json" } });
      const body = (await r.json()) as { type?: string };
      if (r.status !== 400 || !body.type?.endsWith("/malformed-json")) failures.push(`${op.method} ${op.path}: ${r.status} ${JSON.stringify(body)}`);
    }
    expect(failures).toEqual([]);
    expect((await api("GET", "/v1/devices/utf8-bad")).status).toBe(404);
  });

  it("a device created with Application/JSON gets its id and name", async () => {
    for (const [i, type] of variants.entries()) {
      const r = await api("POST", "/v1/devices", { body: JSON.stringify({ id: `ct-case-${i}`, name: "Kitchen" }), headers: { "content-type": type } });
      expect(r.status, type).toBe(201);
      expect(await apiJson("GET", `/v1/devices/ct-case-${i}`, 200)).toMatchObject({ id: `ct-case-${i}`, name: "Kitchen" });
    }
  });
});

describe("list queries", () => {
  it("every list route refuses a cursor it did not hand out with 400, instead of an empty or arbitrary page", async () => {
    const doc = await apiJson<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }>("GET", "/openapi.json", 200, { token: null });
    const lists = Object.entries(doc.paths).filter(([, m]) => m.get?.parameters?.some((p) => p.name === "cursor" && p.in === "query")).map(([path]) => concrete(path));
    expect(lists.length).toBeGreaterThanOrEqual(10);
    const failures: string[] = [];
    for (const path of lists) {
      for (const cursor of ["garbage", "ZZZZ", "%00", "a-_"]) {
        const r = await api("GET", `${path}?cursor=${cursor}`);
        // 404 where the list's owner (a group, channel, webhook or policy "x") does not exist: checked first
        const body = await r.text();
        if (r.status !== 400 && !(r.status === 404 && /"No (group|channel|webhook|policy) /.test(body))) failures.push(`${path}?cursor=${cursor}: ${r.status} ${body}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("a malformed attribute filter is a 400, not a list of every device", async () => {
    for (const q of ["attr[=x", "attr[room=x", "attr.=x", "attr[]=x"]) expect((await api("GET", `/v1/devices?${q}`)).status, q).toBe(400);
    expect((await api("GET", "/v1/devices?attr[room]=x&attr.floor=2")).status).toBe(200);
  });
});

describe("nesting depth", () => {
  it("a 10 KB JSON body nested 5,000 levels is a 400 on every JSON route, never a 500", async () => {
    const deep = deepJson(5000);
    expect(deep.length).toBeLessThan(10_240);
    const failures: string[] = [];
    for (const op of ops.filter((o) => o.types.some((t) => t.endsWith("json")))) {
      const type = op.types.find((t) => t.endsWith("json"))!;
      const token = op.path.includes("/shadow") || op.path.endsWith("/telemetry") ? deviceToken : undefined;
      const r = await api(op.method, concrete(op.path), { token, body: deep, headers: { "content-type": type } });
      const body = (await r.json()) as { detail?: string };
      if (r.status !== 400 || !/nests deeper than 32/.test(body.detail ?? "")) failures.push(`${op.method} ${op.path}: ${r.status} ${JSON.stringify(body)}`);
    }
    expect(failures).toEqual([]);
  });

  it("the same nesting inside a shadow state or telemetry data is a 400", async () => {
    const inShadow = await api("POST", "/v1/devices/edge-1/shadow", { token: deviceToken, body: `{"state":{"desired":${deepJson(5000)}}}`, headers: { "content-type": "application/json" } });
    expect(inShadow.status).toBe(400);
    const inTelemetry = await api("POST", "/v1/devices/edge-1/telemetry", { token: deviceToken, body: `{"data":${deepJson(5000)}}`, headers: { "content-type": "application/json" } });
    expect(inTelemetry.status).toBe(400);
  });

  it("a CBOR body nested 5,000 levels is a 400 (the WASM decoder stops at the limit)", async () => {
    // 0x81 = array of one item, 5,000 times, then 0x01.
    const deep = new Uint8Array(5001).fill(0x81);
    deep[5000] = 0x01;
    for (const path of ["/v1/devices/edge-1/telemetry", "/v1/devices/edge-1/shadow"]) {
      const r = await api("POST", path, { token: deviceToken, body: deep, headers: { "content-type": "application/cbor" } });
      expect(r.status, path).toBe(400);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/nests deeper than 32/);
    }
  });
});

/** Sends raw HTTP/1.1 on one connection: a chunked body, then a second request; returns both answers. */
function chunkedThenNext(path: string, bodyBytes: number): Promise<{ first: string; second: string }> {
  const { hostname, port } = new URL(hubUrl());
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname);
    let buf = "";
    let first = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      const m = /^HTTP\/1\.1 \d+[^]*?\r\n\r\n/.exec(buf);
      const len = m ? Number(/content-length: (\d+)/i.exec(m[0])?.[1] ?? 0) : -1;
      if (m && buf.length >= m[0].length + len) {
        const whole = buf.slice(0, m[0].length + len);
        buf = buf.slice(whole.length);
        if (!first) {
          first = whole;
          s.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
        } else {
          s.destroy();
          resolve({ first, second: whole });
        }
      }
    });
    s.on("error", reject);
    s.on("connect", async () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${adminToken()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let sent = 0; sent < bodyBytes; sent += chunk.length) {
        if (!s.write(`${chunk.length.toString(16)}\r\n`) || !s.write(chunk) || !s.write("\r\n")) await new Promise((r) => s.once("drain", r));
      }
      s.write("0\r\n\r\n");
    });
  });
}

describe("oversized chunked bodies", () => {
  it.each([
    ["a validated JSON route", "/v1/devices", 1_200_000],
    ["telemetry", "/v1/devices/edge-1/telemetry", 2_000_000],
  ])("%s: 413 while streaming, and the next request on the connection is answered", async (_, path, size) => {
    const { first, second } = await chunkedThenNext(path, size);
    expect(first).toMatch(/^HTTP\/1\.1 413/);
    expect(first).toMatch(/payload-too-large/);
    expect(first).toMatch(/"limit":1048576/);
    expect(second).toMatch(/^HTTP\/1\.1 200/);
    expect(second).toMatch(/"status":"ok"/);
  });
});

describe("methods", () => {
  it("PUT on a collection is 405 with Allow; OPTIONS lists the methods; unknown paths stay 404", async () => {
    const put = await api("PUT", "/v1/devices", { body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    const del = await api("DELETE", "/v1/devices/edge-1/telemetry");
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toContain("POST");
    const options = await api("OPTIONS", "/v1/devices/edge-1", { token: null });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("DELETE, GET, HEAD, OPTIONS, PATCH");
    expect((await api("PUT", "/v1/nothing-here")).status).toBe(404);
  });

  it("a trailing slash names the same resource (before: a 405 whose Allow listed the method it refused)", async () => {
    for (const path of ["/v1/devices/", "/v1/devices/edge-1/", "/v1/devices/edge-1/shadow/"]) {
      const r = await api("GET", path);
      expect(r.status, path).toBe((await api("GET", path.slice(0, -1))).status);
      expect(r.status, path).not.toBe(405);
    }
    expect((await api("PUT", "/v1/devices/", { body: {} })).headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    expect((await api("GET", "/v1/nothing-here/")).status).toBe(404);
  });

  it("sends no CORS headers when CORS_ORIGINS is empty (the default)", async () => {
    const r = await api("GET", "/v1/devices", { headers: { origin: "https://dash.example" } });
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("ids", () => {
  it.each(["/v1/devices", "/v1/channels"])("%s refuses the ids . and ..", async (path) => {
    for (const id of [".", ".."]) {
      const r = await api("POST", path, { body: { id } });
      expect(r.status, `${path} ${id}`).toBe(400);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/not be "\." or "\.\."/);
    }
  });

  it("groups refuse the names . and ..", async () => {
    for (const name of [".", ".."]) expect((await api("POST", "/v1/groups", { body: { name } })).status).toBe(400);
  });
});

describe("internal headers", () => {
  it("a client-sent x-umbra-protocol does not reach the device object", async () => {
    const token = await createDevice("edge-hdr");
    const ws = new (await import("ws")).default(`${hubUrl().replace(/^http/, "ws")}/v1/connect`, {
      headers: { authorization: `Bearer ${token}`, "x-umbra-protocol": "coap", "X-Umbra-Remote": "forged", "x-umbra-device": "someone-else" },
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const status = await apiJson<{ status: { connected: boolean; protocol: string; remote_address: string | null } }>("GET", "/v1/devices/edge-hdr", 200);
    expect(status.status.connected).toBe(true);
    expect(status.status.protocol).toBe("json");
    expect(status.status.remote_address).not.toBe("forged");
    ws.close(1000);
  });

  it("a forged cf (wrangler's MF-CF-Blob) with a registered certificate fingerprint logs in as nobody", async () => {
    await createDevice("edge-x509");
    const fp = "cc".repeat(32);
    expect((await api("POST", "/v1/devices/edge-x509/certificates", { body: { fingerprint: fp } })).status).toBe(201);
    const blob = JSON.stringify({ tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: fp } });
    const forged = { "MF-CF-Blob": blob };
    expect((await api("GET", "/v1/devices/edge-x509/shadow", { token: null, headers: forged })).status).toBe(401);
    expect((await api("POST", "/v1/devices/edge-x509/telemetry", { token: null, headers: forged, body: { data: { forged: 1 } } })).status).toBe(401);
    const ws = new (await import("ws")).default(`${hubUrl().replace(/^http/, "ws")}/v1/connect`, { headers: forged });
    const status = await new Promise<number>((resolve) => {
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => resolve(101));
      ws.once("error", () => resolve(-1));
    });
    ws.terminate();
    expect(status).toBe(401);
  });

  it("the JSON socket still works with ordinary headers", async () => {
    const s = await JsonSocket.open(deviceToken);
    s.send({ type: "ping", id: 1 });
    expect(await s.next((m) => m.type === "pong")).toMatchObject({ id: 1 });
    await s.close();
  });
});
