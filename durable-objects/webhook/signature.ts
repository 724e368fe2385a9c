/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): the
 * secret is `whsec_` + base64 of random bytes; a signature is `v1,` + base64 of
 * HMAC-SHA256(secret bytes, `<webhook-id>.<webhook-timestamp>.<body>`). During a secret
 * rotation both secrets sign, space-separated in one `webhook-signature` header, as the spec
 * allows, so receivers can switch keys at their own pace. Pure: WebCrypto only.
 */

const encoder = new TextEncoder();

/** The prefix of every webhook secret. */
export const SECRET_PREFIX = "whsec_";

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** A new secret: 32 random bytes, `whsec_<base64>`. */
export function newSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The key bytes of a secret (the base64 after `whsec_`); throws on a malformed secret. */
export function secretKey(secret: string): Uint8Array {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a webhook secret starts with whsec_");
  return Uint8Array.from(atob(secret.slice(SECRET_PREFIX.length)), (c) => c.charCodeAt(0));
}

/** Imported keys by secret: importing costs as much as signing, and a webhook signs with the same one or two. */
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= 256) keys.clear();
    key = crypto.subtle.importKey("raw", secretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
    key.catch(() => keys.delete(secret));
  }
  return key;
}

/**
 * One `v1,<base64>` signature of a message.
 * @example await sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
 *   // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
 */
export async function sign(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The `webhook-signature` header: one signature per secret, space-separated (newest first). */
export async function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Promise<string> {
  const parts = await Promise.all(secrets.map((s) => sign(s, id, timestampSeconds, body)));
  return parts.join(" ");
}
