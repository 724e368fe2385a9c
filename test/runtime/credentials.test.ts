import { describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import { ACCESS_TOKEN_ISSUER, signJwt } from "../../workers/auth/jwt";
import { jwtKey } from "../../workers/auth/jwt-key";
import { call, json } from "./helpers";
import { resolveAppToken, resolveClientCertificate } from "../../workers/auth/resolve";
import type { Env } from "../../durable-objects/env";

interface Created {
  device: { id: string };
  credential: { id: string; token: string };
}

async function device(id: string): Promise<Created> {
  return json<Created>(call("POST", "/v1/devices", { body: { id } }), 201);
}

describe("device credentials", () => {
  it("a device token reads its own device only", async () => {
    const a = await device("cred-a");
    await device("cred-b");
    expect((await call("GET", "/v1/devices/cred-a", { token: a.credential.token })).status).toBe(200);
    expect((await call("GET", "/v1/devices/cred-b", { token: a.credential.token })).status).toBe(403);
    expect((await call("GET", "/v1/devices", { token: a.credential.token })).status).toBe(403);
  });

  it("lists metadata only, rotates with a grace period and revokes", async () => {
    const d = await device("cred-rot");
    const list = await json<{ items: Record<string, unknown>[] }>(call("GET", "/v1/devices/cred-rot/credentials"), 200);
    expect(list.items).toHaveLength(1);
    expect(Object.keys(list.items[0] ?? {})).not.toContain("token");
    expect(JSON.stringify(list)).not.toContain(d.credential.token);

    const rotated = await json<{ credential: { id: string; token: string }; previous: { status: string } }>(
      call("POST", `/v1/devices/cred-rot/credentials/${d.credential.id}/rotate`, { body: { grace_seconds: 600 } }),
      201,
    );
    expect(rotated.previous.status).toBe("expiring");
    // Both work during the grace period.
    expect((await call("GET", "/v1/devices/cred-rot", { token: d.credential.token })).status).toBe(200);
    expect((await call("GET", "/v1/devices/cred-rot", { token: rotated.credential.token })).status).toBe(200);

    // No body: the default grace (CREDENTIAL_ROTATE_GRACE_SECONDS, 60 s), not an instant cut-off.
    const soft = await json<{ credential: { id: string; token: string }; previous: { status: string; expires_at: string } }>(
      call("POST", `/v1/devices/cred-rot/credentials/${rotated.credential.id}/rotate`),
      201,
    );
    expect(soft.previous.status).toBe("expiring");
    expect(Date.parse(soft.previous.expires_at) - Date.now()).toBeGreaterThan(50_000);
    expect((await call("GET", "/v1/devices/cred-rot", { token: rotated.credential.token })).status).toBe(200);
    // An empty body sent with Content-Type: application/json (axios and fetch wrappers do) is no body either.
    const typed = await json<{ credential: { id: string; token: string }; previous: { status: string } }>(
      call("POST", `/v1/devices/cred-rot/credentials/${soft.credential.id}/rotate`, { headers: { "content-type": "application/json" } }),
      201,
    );
    expect(typed.previous.status).toBe("expiring");
    // grace_seconds: 0 ends the old one at once.
    const again = await json<{ credential: { id: string; token: string } }>(
      call("POST", `/v1/devices/cred-rot/credentials/${typed.credential.id}/rotate`, { body: { grace_seconds: 0 } }),
      201,
    );
    expect((await call("GET", "/v1/devices/cred-rot", { token: typed.credential.token })).status).toBe(401);

    const revoked = await json<{ status: string }>(call("DELETE", `/v1/devices/cred-rot/credentials/${again.credential.id}`), 200);
    expect(revoked.status).toBe("revoked");
    expect((await call("GET", "/v1/devices/cred-rot", { token: again.credential.token })).status).toBe(401);
    expect((await call("POST", `/v1/devices/cred-rot/credentials/${again.credential.id}/rotate`)).status).toBe(409);

    const extra = await json<{ token: string; status: string }>(call("POST", "/v1/devices/cred-rot/credentials"), 201);
    expect(extra.status).toBe("active");
    expect((await call("GET", "/v1/devices/cred-rot", { token: extra.token })).status).toBe(200);
  });

  it("lists credentials a page at a time, newest first", async () => {
    await device("cred-page");
    for (let i = 0; i < 4; i++) await json(call("POST", "/v1/devices/cred-page/credentials"), 201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { id: string; created_at: string }[]; next_cursor: string | null } = await json(
        call("GET", `/v1/devices/cred-page/credentials?limit=2${cursor ? `&cursor=${cursor}` : ""}`),
        200,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    const all = await json<{ items: { id: string; created_at: string }[] }>(call("GET", "/v1/devices/cred-page/credentials"), 200);
    expect(all.items.map((i) => i.id)).toEqual(seen);
    expect((await call("GET", "/v1/devices/cred-page/credentials?cursor=%%%")).status).toBe(400);
  });

  it("a disabled device's token stops working", async () => {
    const d = await device("cred-off");
    await json(call("PATCH", "/v1/devices/cred-off", { body: { enabled: false } }), 200);
    expect((await call("GET", "/v1/devices/cred-off", { token: d.credential.token })).status).toBe(401);
  });
});

describe("X.509 identities", () => {
  const fp = "ab".repeat(32);
  const withCert = (path: string, tlsClientAuth: Record<string, string>) =>
    exports.default.fetch(new Request(`http://umbra.test${path}`, { cf: { tlsClientAuth } } as RequestInit));

  it("a Cloudflare-verified certificate authenticates its device", async () => {
    await device("x509-dev");
    const colons = fp.match(/../g)?.join(":").toUpperCase() ?? "";
    await json(call("POST", "/v1/devices/x509-dev/certificates", { body: { fingerprint: colons, name: "factory cert" } }), 201);
    expect((await call("POST", "/v1/devices/x509-dev/certificates", { body: { fingerprint: fp } })).status).toBe(409);
    const ok = await withCert("/v1/devices/x509-dev", { certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: fp });
    expect(ok.status).toBe(200);
    const unverified = await withCert("/v1/devices/x509-dev", { certPresented: "1", certVerified: "FAILED:self signed certificate", certFingerprintSHA256: fp });
    expect(unverified.status).toBe(401);
    const other = await withCert("/v1/devices/x509-dev", { certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: "cd".repeat(32) });
    expect(other.status).toBe(401);
    expect((await call("DELETE", `/v1/devices/x509-dev/certificates/${fp}`)).status).toBe(204);
    const gone = await withCert("/v1/devices/x509-dev", { certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: fp });
    expect(gone.status).toBe(401);
  });

  it("is ignored unless MTLS_CLIENT_AUTH is true: locally any client can forge cf", async () => {
    await device("x509-off");
    await json(call("POST", "/v1/devices/x509-off/certificates", { body: { fingerprint: "ef".repeat(32) } }), 201);
    const cf = { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: "ef".repeat(32) } };
    expect(await resolveClientCertificate({ ...env, MTLS_CLIENT_AUTH: "true" }, cf)).toMatchObject({ deviceId: "x509-off" });
    for (const off of [undefined, "", "false", "TRUE"]) expect(await resolveClientCertificate({ ...env, MTLS_CLIENT_AUTH: off }, cf)).toBeNull();
  });
});

describe("app credentials", () => {
  it("API keys carry scopes and can be revoked", async () => {
    const key = await json<{ id: string; key: string }>(call("POST", "/v1/api-keys", { body: { name: "reader", scopes: ["devices:read"] } }), 201);
    expect(key.key).toMatch(/^umk_/);
    expect((await call("GET", "/v1/devices", { token: key.key })).status).toBe(200);
    expect((await call("POST", "/v1/devices", { token: key.key, body: {} })).status).toBe(403);
    const list = await json<{ items: { id: string }[] }>(call("GET", "/v1/api-keys"), 200);
    expect(JSON.stringify(list)).not.toContain(key.key);
    expect((await call("DELETE", `/v1/api-keys/${key.id}`)).status).toBe(204);
    expect((await call("GET", "/v1/devices", { token: key.key })).status).toBe(401);
    expect((await call("POST", "/v1/api-keys", { body: { name: "x", scopes: ["root"] } })).status).toBe(400);
    // A scope named many times is kept once (5,000 copies were stored).
    const many = Array.from({ length: 500 }, (_, i) => (i % 2 ? "devices:read" : "shadows:read"));
    expect((await json<{ scopes: string[] }>(call("POST", "/v1/api-keys", { body: { name: "dup", scopes: many } }), 201)).scopes).toEqual(["shadows:read", "devices:read"]);
    expect((await json<{ scopes: string[] }>(call("POST", "/v1/oauth-clients", { body: { name: "dup", scopes: many } }), 201)).scopes).toEqual(["shadows:read", "devices:read"]);
  });

  it("OAuth client credentials grant issues a JWT accepted on /v1, by Basic or body auth", async () => {
    const client = await json<{ client_id: string; client_secret: string }>(
      call("POST", "/v1/oauth-clients", { body: { name: "svc", scopes: ["devices:read", "shadows:read"] } }),
      201,
    );
    const basic = btoa(`${client.client_id}:${client.client_secret}`);
    const form = await json<{ access_token: string; token_type: string; expires_in: number; scope: string }>(
      call("POST", "/oauth/token", { token: null, body: "grant_type=client_credentials&scope=devices:read", headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" } }),
      200,
    );
    expect(form.token_type).toBe("Bearer");
    expect(form.scope).toBe("devices:read");
    // A scope asked for more than once is granted once (the token carried every copy).
    const twice = await json<{ scope: string }>(
      call("POST", "/oauth/token", { token: null, body: "grant_type=client_credentials&scope=devices:read%20devices:read%20devices:read", headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" } }),
      200,
    );
    expect(twice.scope).toBe("devices:read");
    // A parameter sent twice is refused (RFC 6749 §3.1), not decided by its last copy.
    const repeated = await json<{ error: string }>(
      call("POST", "/oauth/token", { token: null, body: "grant_type=client_credentials&scope=devices:read&scope=shadows:read", headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" } }),
      400,
    );
    expect(repeated.error).toBe("invalid_request");
    expect(form.expires_in).toBe(3600);
    expect((await call("GET", "/v1/devices", { token: form.access_token })).status).toBe(200);
    expect((await call("POST", "/v1/devices", { token: form.access_token, body: {} })).status).toBe(403);

    const body = await json<{ access_token: string; scope: string }>(
      call("POST", "/oauth/token", { token: null, body: { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret } }),
      200,
    );
    expect(body.scope).toBe("devices:read shadows:read");

    const wrong = await json<{ error: string }>(call("POST", "/oauth/token", { token: null, body: { grant_type: "client_credentials", client_id: client.client_id, client_secret: "nope" } }), 401);
    expect(wrong.error).toBe("invalid_client");
    const grant = await json<{ error: string }>(call("POST", "/oauth/token", { token: null, body: { grant_type: "password" } }), 400);
    expect(grant.error).toBe("unsupported_grant_type");
    const scope = await json<{ error: string }>(
      call("POST", "/oauth/token", { token: null, body: { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret, scope: "admin" } }),
      400,
    );
    expect(scope.error).toBe("invalid_scope");

    // A tampered token is refused.
    const [h, p, s] = body.access_token.split(".");
    const forged = `${h}.${btoa(JSON.stringify({ iss: "umbra", sub: client.client_id, scope: "admin", iat: 0, exp: 9e9, jti: "x" })).replace(/=+$/, "")}.${s}`;
    expect(p).toBeTruthy();
    expect((await call("GET", "/v1/devices", { token: forged })).status).toBe(401);

    // A token signed with the hub's own secret but naming another issuer is refused.
    const key = jwtKey(env);
    expect(key).not.toBeNull();
    const claims = { sub: client.client_id, scope: "devices:read", iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, jti: "t" };
    expect((await call("GET", "/v1/devices", { token: await signJwt({ ...claims, iss: ACCESS_TOKEN_ISSUER }, key!) })).status).toBe(200);
    expect((await call("GET", "/v1/devices", { token: await signJwt({ ...claims, iss: "another-service" }, key!) })).status).toBe(401);

    // Revoking the client ends its tokens at once.
    expect((await call("DELETE", `/v1/oauth-clients/${client.client_id}`)).status).toBe(204);
    expect((await call("GET", "/v1/devices", { token: body.access_token })).status).toBe(401);
  });

  it("takes an ADMIN_TOKEN only of 32 characters or more: a shorter one turns admin access off", async () => {
    const hub = env as unknown as Env;
    for (const [admin, works] of [["b", false], ["x".repeat(31), false], ["x".repeat(32), true]] as const) {
      expect((await resolveAppToken({ ...hub, ADMIN_TOKEN: admin }, admin))?.kind ?? null, admin).toBe(works ? "admin" : null);
    }
  });
});

