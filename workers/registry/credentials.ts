/**
 * Device credentials (bearer tokens kept as SHA-256) and X.509 identities (certificate
 * fingerprints). A token is shown once, when it is created or rotated.
 */
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Env } from "../../durable-objects/env";
import { db } from "../db/client";
import { deviceCredentials, devices, x509Identities, type DeviceCredentialRow, type X509IdentityRow } from "../db/schema";
import { ApiError } from "../errors";
import { randomId, randomToken, sha256Hex } from "../auth/crypto";
import { decodeCursor, toPage, type Page } from "./pagination";

/** A credential as listed: metadata only, never the token or its hash. */
export interface CredentialView {
  id: string;
  device_id: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  status: "active" | "expiring" | "expired" | "revoked";
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Renders a credential row without its secret. */
export function credentialView(row: DeviceCredentialRow, now = Date.now()): CredentialView {
  const status = row.revokedAt !== null ? "revoked" : row.expiresAt === null ? "active" : row.expiresAt > now ? "expiring" : "expired";
  return {
    id: row.id,
    device_id: row.deviceId,
    created_at: iso(row.createdAt) ?? "",
    expires_at: iso(row.expiresAt),
    revoked_at: iso(row.revokedAt),
    status,
  };
}

/** Creates a credential for a device; returns its id and the token (the only time it is seen). */
export async function issueCredential(env: Env, deviceId: string): Promise<{ id: string; token: string; row: DeviceCredentialRow }> {
  const token = randomToken(32);
  const row = await db(env)
    .insert(deviceCredentials)
    .values({ id: randomId("cred"), deviceId, tokenHash: await sha256Hex(token), createdAt: Date.now() })
    .returning()
    .get();
  return { id: row.id, token, row };
}

/** Lists a device's credentials, newest first, one page at a time (keyset on created_at, id). */
export async function listCredentials(env: Env, deviceId: string, cursor: string | undefined, limit: number): Promise<Page<CredentialView>> {
  const after = decodeCursor(cursor);
  const m = after === null ? null : /^(\d+):(.+)$/.exec(after);
  if (after !== null && !m) throw new ApiError("invalid-request", "cursor is not one this API handed out");
  const c = deviceCredentials;
  const older = m ? or(lt(c.createdAt, Number(m[1])), and(eq(c.createdAt, Number(m[1])), lt(c.id, m[2]!))) : undefined;
  const rows = await db(env)
    .select()
    .from(c)
    .where(and(eq(c.deviceId, deviceId), older))
    .orderBy(sql`${c.createdAt} DESC, ${c.id} DESC`)
    .limit(limit + 1)
    .all();
  const now = Date.now();
  return toPage(rows, limit, (r) => `${r.createdAt}:${r.id}`, (r) => credentialView(r, now));
}

async function getCredential(env: Env, deviceId: string, id: string): Promise<DeviceCredentialRow> {
  const row = await db(env)
    .select()
    .from(deviceCredentials)
    .where(and(eq(deviceCredentials.id, id), eq(deviceCredentials.deviceId, deviceId)))
    .get();
  if (!row) throw new ApiError("not-found", `No credential "${id}" on device "${deviceId}"`);
  return row;
}

/**
 * Rotates a credential: issues a new one, and lets the old one live `graceSeconds` more
 * (0 ends it now). A revoked credential cannot be rotated.
 */
export async function rotateCredential(env: Env, deviceId: string, id: string, graceSeconds: number) {
  const old = await getCredential(env, deviceId, id);
  if (old.revokedAt !== null) throw new ApiError("conflict", `Credential "${id}" is revoked`);
  const fresh = await issueCredential(env, deviceId);
  const now = Date.now();
  const expiresAt = Math.min(old.expiresAt ?? Number.MAX_SAFE_INTEGER, now + graceSeconds * 1000);
  const updated = await db(env).update(deviceCredentials).set({ expiresAt }).where(eq(deviceCredentials.id, id)).returning().get();
  return { fresh, old: credentialView(updated ?? old, now) };
}

/** Revokes a credential at once. */
export async function revokeCredential(env: Env, deviceId: string, id: string): Promise<CredentialView> {
  const row = await getCredential(env, deviceId, id);
  const updated = await db(env)
    .update(deviceCredentials)
    .set({ revokedAt: row.revokedAt ?? Date.now() })
    .where(eq(deviceCredentials.id, id))
    .returning()
    .get();
  return credentialView(updated ?? row);
}

/** The live credential with this token hash, if its device is enabled. */
export async function findDeviceByTokenHash(env: Env, hash: string, now: number): Promise<{ deviceId: string; credentialId: string } | null> {
  const row = await db(env)
    .select({ deviceId: deviceCredentials.deviceId, credentialId: deviceCredentials.id })
    .from(deviceCredentials)
    .innerJoin(devices, eq(devices.id, deviceCredentials.deviceId))
    .where(
      and(
        eq(deviceCredentials.tokenHash, hash),
        isNull(deviceCredentials.revokedAt),
        or(isNull(deviceCredentials.expiresAt), gt(deviceCredentials.expiresAt, now)),
        eq(devices.enabled, true),
      ),
    )
    .get();
  return row ?? null;
}

/** SHA-256 hashes of a device's live tokens: handed to its object so it can check MQTT passwords itself. */
export async function liveTokenHashes(env: Env, deviceId: string, now: number): Promise<string[]> {
  const rows = await db(env)
    .select({ hash: deviceCredentials.tokenHash })
    .from(deviceCredentials)
    .where(and(eq(deviceCredentials.deviceId, deviceId), isNull(deviceCredentials.revokedAt), or(isNull(deviceCredentials.expiresAt), gt(deviceCredentials.expiresAt, now))))
    .all();
  return rows.map((r) => r.hash);
}

/** The enabled device bound to a certificate fingerprint. */
export async function findDeviceByFingerprint(env: Env, fingerprint: string): Promise<string | null> {
  const row = await db(env)
    .select({ deviceId: x509Identities.deviceId })
    .from(x509Identities)
    .innerJoin(devices, eq(devices.id, x509Identities.deviceId))
    .where(and(eq(x509Identities.fingerprint, fingerprint), eq(devices.enabled, true)))
    .get();
  return row?.deviceId ?? null;
}

/** An X.509 identity as the API shows it. */
export const identityView = (r: X509IdentityRow) => ({
  fingerprint: r.fingerprint,
  device_id: r.deviceId,
  name: r.name,
  created_at: new Date(r.createdAt).toISOString(),
});

/** Binds a certificate fingerprint (SHA-256, hex, colons allowed) to a device; 409 when already bound. */
export async function addIdentity(env: Env, deviceId: string, fingerprint: string, name: string | null) {
  const fp = fingerprint.replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(fp)) throw new ApiError("invalid-request", "fingerprint must be a SHA-256 digest in hex");
  const row = await db(env).insert(x509Identities).values({ fingerprint: fp, deviceId, name, createdAt: Date.now() }).onConflictDoNothing().returning().get();
  if (!row) throw new ApiError("conflict", "That certificate is already registered");
  return identityView(row);
}

/** Lists a device's certificate identities. */
export async function listIdentities(env: Env, deviceId: string) {
  const rows = await db(env).select().from(x509Identities).where(eq(x509Identities.deviceId, deviceId)).all();
  return rows.map(identityView);
}

/** Removes a certificate identity from a device. */
export async function removeIdentity(env: Env, deviceId: string, fingerprint: string): Promise<void> {
  const fp = fingerprint.replace(/:/g, "").toLowerCase();
  const gone = await db(env)
    .delete(x509Identities)
    .where(and(eq(x509Identities.fingerprint, fp), eq(x509Identities.deviceId, deviceId)))
    .returning()
    .get();
  if (!gone) throw new ApiError("not-found", "No such certificate on this device");
}
