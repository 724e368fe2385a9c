/**
 * A webhook's signing secrets across rotations (pure). At most two sign at any time: the
 * current one, and the one the last rotation replaced until its grace ends. A rotation ends
 * every earlier previous secret at once — each kept one adds a signature to every request, and
 * after a few hundred rotations the `webhook-signature` header outgrew receivers' header limits.
 */

/** A stored secret; `expiresAt` null: the current one, signing until the next rotation. */
export interface Secret {
  secret: string;
  expiresAt: number | null;
}

/** Secrets that sign a request at most: the current one and the one it replaced. */
export const MAX_SIGNING_SECRETS = 2;

/** The default grace of a replaced secret (ms): receivers get a day to switch. */
export const ROTATION_GRACE_MS = 24 * 3_600_000;

/**
 * The secrets that sign at `now`, newest first: unexpired ones, at most MAX_SIGNING_SECRETS
 * (stores written before the bound may hold more; the oldest are left out).
 * @example signingSecrets([{ secret: "b", expiresAt: null }, { secret: "a", expiresAt: 5 }], 9) // [{ secret: "b", expiresAt: null }]
 */
export function signingSecrets(stored: readonly Secret[], now: number): Secret[] {
  return stored.filter((s) => s.expiresAt === null || s.expiresAt > now).slice(0, MAX_SIGNING_SECRETS);
}

/**
 * The secrets after a rotation at `now` to `fresh`: the fresh one, and the secret it replaces
 * signing for `graceMs` more (never longer than it would have anyway; 0 ends it now, so only
 * the fresh one signs). Earlier previous secrets end now.
 * @returns the new list to store, and when the replaced secret stops signing
 * @example rotateSecrets([{ secret: "a", expiresAt: null }], "b", 1000, 0) // { secrets: [{ secret: "b", expiresAt: null }], previousExpiresAt: 1000 }
 */
export function rotateSecrets(stored: readonly Secret[], fresh: string, now: number, graceMs: number): { secrets: Secret[]; previousExpiresAt: number } {
  const live = signingSecrets(stored, now);
  const current = live.find((s) => s.expiresAt === null) ?? live[0];
  const previousExpiresAt = Math.min(current?.expiresAt ?? Number.MAX_SAFE_INTEGER, now + Math.max(0, graceMs));
  const secrets: Secret[] = [{ secret: fresh, expiresAt: null }];
  if (current && previousExpiresAt > now) secrets.push({ secret: current.secret, expiresAt: previousExpiresAt });
  return { secrets, previousExpiresAt: current ? previousExpiresAt : now };
}
