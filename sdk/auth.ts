/**
 * Where an app's bearer token comes from: a fixed token (admin token, API key, access token), or
 * an OAuth 2.0 client whose access tokens are fetched by the client-credentials grant
 * (RFC 6749 §4.4) and fetched again shortly before they expire.
 */

/** An app's credentials. */
export type AppCredentials =
  /** The admin token, an API key or an OAuth access token. */
  | { token: string }
  /** An OAuth client: tokens are fetched from `/oauth/token` and refreshed. */
  | { clientId: string; clientSecret: string; scope?: string };

/** The token endpoint refused the client (RFC 6749 §5.2 `error`, e.g. `invalid_client`). */
export class OAuthError extends Error {
  override readonly name = "OAuthError";

  constructor(
    readonly error: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Fetch a new access token this long before the current one expires (half its lifetime, for short ones). */
const REFRESH_MARGIN_MS = 60_000;

/** base64 of UTF-8 text, in browsers and Node alike. */
function base64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Gives the current bearer token. */
export class TokenSource {
  private cached: { token: string; renewAt: number } | null = null;
  private inflight: Promise<string> | null = null;

  constructor(
    private readonly url: string,
    private readonly credentials: AppCredentials,
    private readonly fetchFn: typeof fetch,
  ) {}

  /** The bearer token to send now. */
  async token(): Promise<string> {
    const c = this.credentials;
    if ("token" in c) return c.token;
    if (this.cached !== null && Date.now() < this.cached.renewAt) return this.cached.token;
    // Concurrent requests share one token request.
    this.inflight ??= this.fetchToken(c).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /**
   * When `token()` will fetch the next access token (null for a fixed token, or before the first).
   * Open live streams call it then: the hub keeps an OAuth client's streams open while it holds a
   * valid token, so renewing before expiry keeps them without a gap.
   */
  renewsAt(): number | null {
    return this.cached?.renewAt ?? null;
  }

  /** Forgets a cached access token (after a 401), so the next call fetches a new one. */
  invalidate(): void {
    this.cached = null;
  }

  private async fetchToken(c: { clientId: string; clientSecret: string; scope?: string }): Promise<string> {
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    if (c.scope !== undefined) body.set("scope", c.scope);
    const r = await this.fetchFn(`${this.url.replace(/\/+$/, "")}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${base64(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`)}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body,
    });
    const answer: unknown = await r.json().catch(() => null);
    const o = typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>) : {};
    if (!r.ok || typeof o.access_token !== "string") {
      const error = typeof o.error === "string" ? o.error : "invalid_response";
      const description = typeof o.error_description === "string" ? `: ${o.error_description}` : "";
      throw new OAuthError(error, `the token endpoint answered ${r.status} ${error}${description}`, r.status);
    }
    const ttl = typeof o.expires_in === "number" ? o.expires_in * 1000 : 3_600_000;
    this.cached = { token: o.access_token, renewAt: Date.now() + ttl - Math.min(REFRESH_MARGIN_MS, ttl / 2) };
    return o.access_token;
  }
}
