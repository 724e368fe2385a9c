/**
 * `POST /oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4). Errors follow
 * RFC 6749 §5.2 (`{error, error_description}`), since that is what OAuth client libraries parse.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { activeOAuthClient } from "../registry/app-credentials";
import { constantTimeEqual, randomId, sha256Hex } from "../auth/crypto";
import { signJwt } from "../auth/jwt";
import { jwtKey } from "../auth/jwt-key";
import { toScopes } from "../auth/principal";

export const oauth = new Hono<AppEnv>();

type OAuthErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type" | "invalid_scope";

function oauthError(c: Context<AppEnv>, error: OAuthErrorCode, description: string, basic = false): Response {
  const status = error === "invalid_client" ? 401 : 400;
  const headers: Record<string, string> = { "cache-control": "no-store", "content-type": "application/json" };
  if (status === 401) headers["www-authenticate"] = basic ? 'Basic realm="umbra"' : 'Bearer realm="umbra"';
  return c.newResponse(JSON.stringify({ error, error_description: description }), status, headers);
}

async function readParams(c: Context<AppEnv>): Promise<Record<string, string> | null> {
  const type = c.req.header("content-type") ?? "";
  try {
    if (type.startsWith("application/x-www-form-urlencoded")) {
      const out: Record<string, string> = {};
      for (const [k, v] of await c.req.formData()) if (typeof v === "string") out[k] = v;
      return out;
    }
    if (type.startsWith("application/json")) {
      const body: unknown = await c.req.json();
      if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
      return out;
    }
  } catch {
    return null;
  }
  return null;
}

/** Client id and secret from HTTP Basic (RFC 6749 §2.3.1, form-urlencoded inside base64). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m?.[1]) return null;
  let decoded: string;
  try {
    decoded = atob(m[1]);
  } catch {
    return null;
  }
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}

oauth.post("/oauth/token", async (c) => {
  const params = await readParams(c);
  if (!params) return oauthError(c, "invalid_request", "send application/x-www-form-urlencoded or JSON parameters");
  if (params.grant_type !== "client_credentials") {
    return oauthError(c, "unsupported_grant_type", "only grant_type=client_credentials is supported");
  }
  const basic = basicCredentials(c.req.header("authorization"));
  const id = basic?.id ?? params.client_id;
  const secret = basic?.secret ?? params.client_secret;
  if (!id || !secret) return oauthError(c, "invalid_client", "client authentication is required", true);
  const client = await activeOAuthClient(c.env, id);
  // Compare against a dummy hash when the client is unknown, so timing does not tell ids apart.
  const ok = await constantTimeEqual(await sha256Hex(secret), client?.secretHash ?? "0".repeat(64));
  if (!client || !ok) return oauthError(c, "invalid_client", "unknown client or wrong secret", basic !== null);
  const granted = toScopes(client.scopes);
  let scopes = granted;
  if (params.scope !== undefined && params.scope.trim() !== "") {
    const asked = params.scope.trim().split(/\s+/);
    if (asked.some((s) => !(granted as string[]).includes(s))) {
      return oauthError(c, "invalid_scope", "the client may not have some of the requested scopes");
    }
    scopes = toScopes(asked);
  }
  const ttl = Number(c.env.OAUTH_TOKEN_TTL) || 3600;
  const now = Math.floor(Date.now() / 1000);
  const scope = scopes.join(" ");
  const token = await signJwt(
    { iss: "umbra", sub: client.id, scope, iat: now, exp: now + ttl, jti: randomId("tok", 8) },
    await jwtKey(c.env),
  );
  return c.newResponse(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: ttl, scope }), 200, {
    "content-type": "application/json",
    "cache-control": "no-store",
    pragma: "no-cache",
  });
});
