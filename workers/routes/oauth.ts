/**
 * `POST /oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4). Errors follow
 * RFC 6749 §5.2 (`{error, error_description}`), since that is what OAuth client libraries parse;
 * too many requests (per address and per client id) or failed authentications (per address) are
 * 429 `slow_down` (the token-endpoint error RFC 8628 registered) with Retry-After. Without a
 * `JWT_SECRET` no token is issued (503).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { activeOAuthClient } from "../registry/app-credentials";
import { constantTimeEqual, randomId, sha256Hex } from "../auth/crypto";
import { ACCESS_TOKEN_ISSUER, signJwt } from "../auth/jwt";
import { JWT_SECRET_MISSING, jwtKey } from "../auth/jwt-key";
import { hasScope, toScopes } from "../auth/principal";
import { renewStreams } from "../registry/app-sessions";
import { ownerOf } from "../mqtt/authenticate";
import { ApiError, problemResponse } from "../errors";
import { parseJsonBounded } from "../../protocols/json-depth";
import { numberVar } from "../../durable-objects/vars";
import { isJsonObject } from "../../protocols/json-value";
import { limit, rateVars, type LimitDecision } from "../limits/limit";
import { failuresLeft, recordFailure } from "../limits/auth-failures";
import { clientAddress } from "../edge/client-address";

export const oauth = new Hono<AppEnv>();

type OAuthErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type" | "invalid_scope";

function oauthError(c: Context<AppEnv>, error: OAuthErrorCode, description: string, basic = false): Response {
  const status = error === "invalid_client" ? 401 : 400;
  const headers: Record<string, string> = { "cache-control": "no-store", "content-type": "application/json" };
  if (status === 401) headers["www-authenticate"] = basic ? 'Basic realm="umbra"' : 'Bearer realm="umbra"';
  return c.newResponse(JSON.stringify({ error, error_description: description }), status, headers);
}

/** 429 in the token endpoint's error shape. */
function slowDown(c: Context<AppEnv>, d: LimitDecision, what: string): Response {
  return c.newResponse(JSON.stringify({ error: "slow_down", error_description: `too many ${what}: retry after ${d.retryAfterSeconds} s` }), 429, {
    "cache-control": "no-store",
    "content-type": "application/json",
    "retry-after": String(d.retryAfterSeconds),
  });
}

/**
 * Form (RFC 6749 §4.4.2) or JSON parameters from the body the edge already read; null when the
 * body is neither, and the name of a parameter sent more than once (§3.1 forbids it: the last
 * one was taken silently).
 */
async function readParams(c: Context<AppEnv>): Promise<{ params: Record<string, string> } | { repeated: string } | null> {
  const type = c.req.header("content-type") ?? "";
  const text = await c.req.text();
  const out: Record<string, string> = {};
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(text)) {
      if (Object.hasOwn(out, k)) return { repeated: k };
      out[k] = v;
    }
    return { params: out };
  }
  if (type.startsWith("application/json")) {
    const r = parseJsonBounded(text, numberVar(c.env, "JSON_MAX_DEPTH"));
    if (!r.ok || !isJsonObject(r.value)) return null;
    for (const [k, v] of Object.entries(r.value)) if (typeof v === "string") out[k] = v;
    return { params: out };
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
  const rate = rateVars(c.env, "OAUTH");
  const address = clientAddress(c);
  const byAddress = await limit(c.env, `oauth-ip:${address}`, rate);
  if (!byAddress.ok) return slowDown(c, byAddress, "token requests from this address");
  const failures = await failuresLeft(c.env, address);
  if (!failures.ok) return slowDown(c, failures, "failed authentications from this address");
  const key = jwtKey(c.env);
  if (!key) {
    return problemResponse(new ApiError("unavailable", JWT_SECRET_MISSING, { error: "temporarily_unavailable", error_description: "the server cannot issue tokens: JWT_SECRET is not set" }), c.req.path);
  }
  const read = await readParams(c);
  if (!read) return oauthError(c, "invalid_request", "send application/x-www-form-urlencoded or JSON parameters");
  if ("repeated" in read) return oauthError(c, "invalid_request", `the parameter ${JSON.stringify(read.repeated.slice(0, 64))} was sent more than once (RFC 6749 §3.1)`);
  const { params } = read;
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
  if (!client || !ok) {
    const d = await recordFailure(c.env, address);
    if (!d.ok) return slowDown(c, d, "failed authentications from this address");
    return oauthError(c, "invalid_client", "unknown client or wrong secret", basic !== null);
  }
  // Only a client that proved its secret spends its own bucket: a client id is no secret (it is
  // every token's `sub`), and wrong secrets sent for it from elsewhere must not lock it out. Wrong
  // secrets count against their address instead (above); a secret is 32 random bytes, so no
  // number of addresses can guess one.
  const byClient = await limit(c.env, `oauth-client:${id}`, rate);
  if (!byClient.ok) return slowDown(c, byClient, "token requests for this client");
  const granted = toScopes(client.scopes);
  let scopes = granted;
  if (params.scope !== undefined && params.scope.trim() !== "") {
    const asked = [...new Set(params.scope.trim().split(/\s+/))]; // each scope once (RFC 6749 §3.3: a set)
    if (asked.some((s) => !(granted as string[]).includes(s))) {
      return oauthError(c, "invalid_scope", "the client may not have some of the requested scopes");
    }
    scopes = toScopes(asked);
  }
  const ttl = numberVar(c.env, "OAUTH_TOKEN_TTL");
  const now = Math.floor(Date.now() / 1000);
  const scope = scopes.join(" ");
  const token = await signJwt(
    { iss: ACCESS_TOKEN_ISSUER, sub: client.id, scope, iat: now, exp: now + ttl, jti: randomId("tok", 8) },
    key,
  );
  // The client's open live streams last as long as this token, where it may read devices: a client
  // that renews before expiry keeps its streams (the SDK and the console renew a minute before).
  const principal = { kind: "oauth" as const, clientId: client.id, scopes, expiresAt: (now + ttl) * 1000 };
  if (hasScope(principal, "devices:read")) c.executionCtx.waitUntil(renewStreams(c.env, ownerOf(principal), principal.expiresAt));
  return c.newResponse(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: ttl, scope }), 200, {
    "content-type": "application/json",
    "cache-control": "no-store",
    pragma: "no-cache",
  });
});
