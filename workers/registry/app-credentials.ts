/** Credentials for apps: API keys and OAuth 2.0 clients, both kept hashed. */
import { eq, gt, isNull, and } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { db } from "../db/client";
import { apiKeys, oauthClients, type ApiKeyRow, type OAuthClientRow } from "../db/schema";
import { ApiError } from "../errors";
import { randomId, randomToken, sha256Hex } from "../auth/crypto";
import { API_KEY_PREFIX } from "../auth/resolve";
import type { Scope } from "../auth/principal";
import { decodeCursor, toPage, type Page } from "./pagination";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An API key as listed (never the key). */
export const apiKeyView = (r: ApiKeyRow) => ({ id: r.id, name: r.name, scopes: r.scopes, created_at: iso(r.createdAt), revoked_at: iso(r.revokedAt) });

/** An OAuth client as listed (never the secret). */
export const oauthClientView = (r: OAuthClientRow) => ({ client_id: r.id, name: r.name, scopes: r.scopes, created_at: iso(r.createdAt), revoked_at: iso(r.revokedAt) });

/** Creates an API key (each scope kept once); the key is returned this once. */
export async function createApiKey(env: Env, name: string, scopes: Scope[]) {
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  const row = await db(env)
    .insert(apiKeys)
    .values({ id: randomId("key"), name, scopes: [...new Set(scopes)], keyHash: await sha256Hex(key), createdAt: Date.now() })
    .returning()
    .get();
  return { ...apiKeyView(row), key };
}

/** Lists API keys, a page at a time. */
export async function listApiKeys(env: Env, cursor: string | undefined, limit: number): Promise<Page<ReturnType<typeof apiKeyView>>> {
  const after = decodeCursor(cursor);
  const rows = await db(env).select().from(apiKeys).where(after === null ? undefined : gt(apiKeys.id, after)).orderBy(apiKeys.id).limit(limit + 1).all();
  return toPage(rows, limit, (r) => r.id, apiKeyView);
}

/** Revokes an API key; it stops working at once. */
export async function revokeApiKey(env: Env, id: string): Promise<void> {
  const row = await db(env).update(apiKeys).set({ revokedAt: Date.now() }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning().get();
  if (!row) throw new ApiError("not-found", `No active API key "${id}"`);
}

/** Registers an OAuth client (each scope kept once); the secret is returned this once. */
export async function createOAuthClient(env: Env, name: string, scopes: Scope[]) {
  const secret = randomToken(32);
  const row = await db(env)
    .insert(oauthClients)
    .values({ id: randomId("client"), name, scopes: [...new Set(scopes)], secretHash: await sha256Hex(secret), createdAt: Date.now() })
    .returning()
    .get();
  return { ...oauthClientView(row), client_secret: secret };
}

/** Lists OAuth clients, a page at a time. */
export async function listOAuthClients(env: Env, cursor: string | undefined, limit: number) {
  const after = decodeCursor(cursor);
  const rows = await db(env).select().from(oauthClients).where(after === null ? undefined : gt(oauthClients.id, after)).orderBy(oauthClients.id).limit(limit + 1).all();
  return toPage(rows, limit, (r) => r.id, oauthClientView);
}

/** Revokes an OAuth client: its secret and every token it was issued stop working at once. */
export async function revokeOAuthClient(env: Env, id: string): Promise<void> {
  const row = await db(env).update(oauthClients).set({ revokedAt: Date.now() }).where(and(eq(oauthClients.id, id), isNull(oauthClients.revokedAt))).returning().get();
  if (!row) throw new ApiError("not-found", `No active OAuth client "${id}"`);
}

/** Reads an active OAuth client by id (for the token endpoint). */
export async function activeOAuthClient(env: Env, id: string): Promise<OAuthClientRow | null> {
  const row = await db(env).select().from(oauthClients).where(eq(oauthClients.id, id)).get();
  return row && row.revokedAt === null ? row : null;
}
