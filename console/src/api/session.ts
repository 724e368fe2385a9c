/**
 * Who is signed in, kept in sessionStorage only — never a cookie, never localStorage — so a
 * credential lives as long as the tab and is not sent anywhere by the browser on its own.
 * An OAuth client signs in with its id and secret; the access token it gets from
 * `POST /oauth/token` is renewed before it expires (the client credentials grant has no
 * refresh token, so renewal is the same grant again).
 */

/** A bearer secret used as is: the admin token or an API key. */
export interface TokenSession {
  kind: "token";
  token: string;
}

/** An OAuth 2.0 client and its current access token. */
export interface OAuthSession {
  kind: "oauth";
  clientId: string;
  clientSecret: string;
  accessToken: string;
  /** Epoch ms at which the access token was issued. */
  issuedAt: number;
  /** Epoch ms at which the access token stops working. */
  expiresAt: number;
  scope: string;
}

/** Whoever is signed in. */
export type Session = TokenSession | OAuthSession;

const KEY = "umbra.console.session";

/** Renew this long before expiry, but never earlier than halfway through the token's life. */
const RENEW_MARGIN_MS = 60_000;

/** The session saved in this tab, or null. */
export function loadSession(): Session | null {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  try {
    const s: unknown = JSON.parse(text);
    if (typeof s !== "object" || s === null || !("kind" in s)) return null;
    if (s.kind === "token" && "token" in s && typeof s.token === "string") return { kind: "token", token: s.token };
    if (s.kind === "oauth") return s as OAuthSession;
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

/** Saves `s` for this tab. */
export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

/** Forgets the session (sign out). */
export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** When an OAuth token should be renewed: `margin` before expiry, or halfway through a short life. */
export function renewAt(issuedAt: number, expiresAt: number, margin = RENEW_MARGIN_MS): number {
  return Math.max(issuedAt + (expiresAt - issuedAt) / 2, expiresAt - margin);
}

/** The error `POST /oauth/token` gives (RFC 6749 §5.2), or a network failure. */
export class OAuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Client credentials grant: a fresh access token for the client. */
export async function fetchAccessToken(clientId: string, clientSecret: string, now = Date.now()): Promise<OAuthSession> {
  const body = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret });
  const res = await fetch("/oauth/token", { method: "POST", body, headers: { accept: "application/json" } });
  const json: unknown = await res.json().catch(() => null);
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (!res.ok || typeof o.access_token !== "string" || typeof o.expires_in !== "number") {
    const code = typeof o.error === "string" ? o.error : `http_${res.status}`;
    const text = typeof o.error_description === "string" ? o.error_description : code === "invalid_client" ? "Unknown client or wrong secret" : `The token endpoint answered ${res.status}`;
    throw new OAuthError(code, text);
  }
  return { kind: "oauth", clientId, clientSecret, accessToken: o.access_token, issuedAt: now, expiresAt: now + o.expires_in * 1000, scope: typeof o.scope === "string" ? o.scope : "" };
}
