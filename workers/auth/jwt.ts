/** Compact HS256 JSON Web Tokens (RFC 7519) for OAuth 2.0 access tokens. */
import { base64url, fromBase64url, hmacSha256 } from "./crypto";
import { parseJsonBounded } from "../../protocols/json-depth";
import { isJsonObject } from "../../protocols/json-value";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The `iss` of every access token this hub signs; a token naming another issuer is refused. */
export const ACCESS_TOKEN_ISSUER = "umbra";

/** Claims Umbra puts in an access token. */
export interface AccessClaims {
  iss: string;
  sub: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
}

/** Signs `claims` with HS256 under `key`. */
export async function signJwt(claims: AccessClaims, key: Uint8Array): Promise<string> {
  const head = base64url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = base64url(encoder.encode(JSON.stringify(claims)));
  const sig = await hmacSha256(key, encoder.encode(`${head}.${body}`));
  return `${head}.${body}.${base64url(sig)}`;
}

/**
 * Verifies an HS256 token, its issuer and its expiry; returns its claims or null. The signature
 * is checked with `timingSafeEqual`, and only `alg: HS256` is accepted (no `none`, no algorithm
 * switching). The issuer check keeps out a token another service signed with the same secret.
 */
export async function verifyJwt(token: string, key: Uint8Array, nowSeconds: number): Promise<AccessClaims | null> {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [head, body, sig] = parts as [string, string, string];
  const header = parseJson(fromBase64url(head));
  if (!header || header.alg !== "HS256") return null;
  const given = fromBase64url(sig);
  if (!given || given.length !== 32) return null;
  const expected = await hmacSha256(key, encoder.encode(`${head}.${body}`));
  if (!crypto.subtle.timingSafeEqual(given, expected)) return null;
  const c = parseJson(fromBase64url(body));
  if (!c) return null;
  const { iss, sub, scope, iat, exp, jti } = c;
  if (typeof iss !== "string" || typeof sub !== "string" || typeof scope !== "string") return null;
  if (typeof iat !== "number" || typeof exp !== "number" || typeof jti !== "string") return null;
  if (iss !== ACCESS_TOKEN_ISSUER || exp <= nowSeconds) return null;
  return { iss, sub, scope, iat, exp, jti };
}

/** A JWT part as a flat JSON object; the header is parsed before the signature is checked, so it is bounded. */
function parseJson(bytes: Uint8Array | null): Record<string, unknown> | null {
  if (!bytes) return null;
  const r = parseJsonBounded(decoder.decode(bytes), 4);
  return r.ok && isJsonObject(r.value) ? r.value : null;
}
