/**
 * Turns a presented secret into a Principal: the admin token, an API key (`umk_…`), an OAuth
 * access token (a JWT), or a device token. Secrets are only ever looked up by their SHA-256.
 */
import { and, eq } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { apiKeys, oauthClients } from "../db/schema";
import { db } from "../db/client";
import { constantTimeEqual, sha256Hex } from "./crypto";
import { verifyJwt } from "./jwt";
import { jwtKey } from "./jwt-key";
import { toScopes, type Principal } from "./principal";
import { findDeviceByTokenHash, findDeviceByFingerprint } from "../registry/credentials";
import { flagVar } from "../../durable-objects/vars";

/** Prefix of API keys, so they can be told apart from device tokens without a lookup. */
export const API_KEY_PREFIX = "umk_";

/**
 * The shortest ADMIN_TOKEN the hub accepts: it is the master credential, and a short one can be
 * guessed. Shorter (or unset), admin access is off, as OAuth is without a long enough JWT_SECRET.
 */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Resolves an app credential (admin token, API key or OAuth JWT); null when it is none of them or invalid. */
export async function resolveAppToken(env: Env, token: string): Promise<Principal | null> {
  const admin = env.ADMIN_TOKEN;
  if (admin !== undefined && admin.length >= MIN_ADMIN_TOKEN_LENGTH && (await constantTimeEqual(token, admin))) return { kind: "admin" };
  if (token.startsWith(API_KEY_PREFIX)) {
    const hash = await sha256Hex(token);
    const row = await db(env).select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).get();
    if (!row || row.revokedAt !== null) return null;
    return { kind: "api-key", id: row.id, scopes: toScopes(row.scopes) };
  }
  if (token.split(".").length === 3) {
    const key = jwtKey(env);
    if (!key) return null;
    const claims = await verifyJwt(token, key, Math.floor(Date.now() / 1000));
    if (!claims) return null;
    // A deleted or revoked client's tokens stop working at once, not at expiry.
    const client = await db(env)
      .select({ id: oauthClients.id, revokedAt: oauthClients.revokedAt })
      .from(oauthClients)
      .where(and(eq(oauthClients.id, claims.sub)))
      .get();
    if (!client || client.revokedAt !== null) return null;
    return { kind: "oauth", clientId: claims.sub, scopes: toScopes(claims.scope.split(" ")), expiresAt: claims.exp * 1000 };
  }
  return null;
}

/** Resolves a device token to its device; null when unknown, revoked, expired or the device is disabled. */
export async function resolveDeviceToken(env: Env, token: string): Promise<Principal | null> {
  const found = await findDeviceByTokenHash(env, await sha256Hex(token), Date.now());
  return found ? { kind: "device", deviceId: found.deviceId, credentialId: found.credentialId, via: "token" } : null;
}

/** Resolves any bearer secret: app credentials first, then device tokens. */
export async function resolveBearer(env: Env, token: string): Promise<Principal | null> {
  return (await resolveAppToken(env, token)) ?? (await resolveDeviceToken(env, token));
}

/**
 * Resolves a client certificate that Cloudflare verified (mTLS on the zone) to the device it is
 * registered to, only with `MTLS_CLIENT_AUTH="true"`. Deployed, `cf.tlsClientAuth` is set by
 * Cloudflare's edge, never by the client; but `wrangler dev` builds `cf` from a request header
 * (`MF-CF-Blob`) any client can send, so a fingerprint, which is no secret, would be a login.
 */
export async function resolveClientCertificate(env: Env, cf: unknown): Promise<Principal | null> {
  if (!flagVar(env, "MTLS_CLIENT_AUTH")) return null;
  if (typeof cf !== "object" || cf === null || !("tlsClientAuth" in cf)) return null;
  const auth = cf.tlsClientAuth;
  if (typeof auth !== "object" || auth === null) return null;
  const a = auth as Record<string, unknown>;
  if (a.certPresented !== "1" || a.certVerified !== "SUCCESS") return null;
  const fp = typeof a.certFingerprintSHA256 === "string" ? a.certFingerprintSHA256.toLowerCase() : "";
  if (!/^[0-9a-f]{64}$/.test(fp)) return null;
  const deviceId = await findDeviceByFingerprint(env, fp);
  return deviceId ? { kind: "device", deviceId, credentialId: `x509:${fp}`, via: "x509" } : null;
}
