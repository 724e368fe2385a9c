import type { Env } from "../../durable-objects/env";
import { hmacSha256 } from "./crypto";

const encoder = new TextEncoder();

/**
 * The HS256 key for access tokens: `JWT_SECRET` when set, else derived from `ADMIN_TOKEN`
 * (so a fresh install needs one secret only; rotating the admin token also ends all tokens).
 */
export async function jwtKey(env: Env): Promise<Uint8Array> {
  if (env.JWT_SECRET) return encoder.encode(env.JWT_SECRET);
  if (!env.ADMIN_TOKEN) throw new Error("neither JWT_SECRET nor ADMIN_TOKEN is set");
  return hmacSha256(encoder.encode(env.ADMIN_TOKEN), encoder.encode("umbra oauth access tokens v1"));
}
