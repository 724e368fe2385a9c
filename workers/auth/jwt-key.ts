/**
 * The HS256 key for OAuth access tokens: `JWT_SECRET`, and nothing else. It was once derived
 * from ADMIN_TOKEN, which let one leaked access token test admin-token guesses offline; now a
 * hub without a strong `JWT_SECRET` issues no tokens and accepts none. `npm start` and the
 * end-to-end setup generate one; a deployment sets it with `wrangler secret put JWT_SECRET`.
 */
import type { Env } from "../../durable-objects/env";

const encoder = new TextEncoder();

/** Shortest secret accepted: 32 characters (the generated ones are 43, base64url of 32 bytes). */
export const MIN_JWT_SECRET_LENGTH = 32;

/** Why there is no key, for the operator (never shown with the secret's value). */
export const JWT_SECRET_MISSING = `JWT_SECRET is not set or shorter than ${MIN_JWT_SECRET_LENGTH} characters: set it (\`npx wrangler secret put JWT_SECRET\`, e.g. the output of \`openssl rand -base64 32\`) to issue OAuth tokens`;

/** The signing key, or null when `JWT_SECRET` is missing or too short. */
export function jwtKey(env: Env): Uint8Array | null {
  const secret = env.JWT_SECRET ?? "";
  return secret.length >= MIN_JWT_SECRET_LENGTH ? encoder.encode(secret) : null;
}

