/**
 * The console's only way to the hub: same-origin `fetch` with the signed-in credential as
 * `Authorization: Bearer`. Problems (RFC 9457) become `ApiProblem`s; a route this hub does not
 * have becomes `NotAvailable`, so a page can say so instead of failing. OAuth access tokens are
 * renewed on a timer before they expire, and once more on a 401 before giving up.
 */
import { OAuthError, clearSession, fetchAccessToken, loadSession, renewAt, saveSession, type Session } from "./session";

/** An RFC 9457 problem from the hub; `body` keeps extension members (e.g. a rule's `line`). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly body: Record<string, unknown>,
  ) {
    super(detail || title);
  }
}

/** The route does not exist on this hub (an older hub, or a feature not deployed). */
export class NotAvailable extends Error {}

type Listener = (s: Session | null, reason?: string) => void;

let session: Session | null = loadSession();
let renewal: Promise<void> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

/** The current session, or null when signed out. */
export const currentSession = (): Session | null => session;

/** Calls `fn` on every sign-in and sign-out; returns the unsubscribe function. */
export function onSessionChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function publish(reason?: string): void {
  for (const fn of listeners) fn(session, reason);
}

function schedule(): void {
  clearTimeout(timer);
  if (session?.kind !== "oauth") return;
  const wait = Math.max(0, renewAt(session.issuedAt, session.expiresAt) - Date.now());
  timer = setTimeout(() => void renew().catch(() => undefined), wait);
}

/** How soon a renewal turned away for now (429, network) is tried again. */
const RENEW_RETRY_MS = 5_000;

/** Gets a new OAuth access token; concurrent callers share one request. */
function renew(): Promise<void> {
  const s = session;
  if (s?.kind !== "oauth") return Promise.resolve();
  renewal ??= fetchAccessToken(s.clientId, s.clientSecret)
    .then((next) => {
      if (session === s) {
        session = next;
        saveSession(next);
        schedule();
      }
    })
    .catch((err: unknown) => {
      // Refused for good (the client revoked, its secret changed): signed out. Turned away for now
      // (429 slow_down from a busy address, a network error) while the token still works: tried again.
      const refused = err instanceof OAuthError && ["invalid_client", "unauthorized_client", "invalid_scope", "invalid_grant"].includes(err.code);
      if (!refused && session === s && Date.now() < s.expiresAt - RENEW_RETRY_MS) {
        clearTimeout(timer);
        timer = setTimeout(() => void renew().catch(() => undefined), RENEW_RETRY_MS);
      } else signOut(`Your OAuth client could not renew its token: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    })
    .finally(() => {
      renewal = null;
    });
  return renewal;
}

/** Starts a session (already verified by the sign-in page). */
export function signIn(s: Session): void {
  session = s;
  saveSession(s);
  schedule();
  publish();
}

/** Ends the session and forgets every credential; `reason` is shown on the sign-in page. */
export function signOut(reason?: string): void {
  clearTimeout(timer);
  clearSession();
  session = null;
  publish(reason);
}

/** The bearer secret to send now, renewing an OAuth token that is due first. */
export async function bearer(): Promise<string> {
  if (session?.kind === "oauth" && Date.now() >= renewAt(session.issuedAt, session.expiresAt)) await renew();
  if (!session) throw new ApiProblem(401, "unauthorized", "Signed out", "Sign in again", {});
  return session.kind === "oauth" ? session.accessToken : session.token;
}

/** Options of one request. */
export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Use this token instead of the session's (sign-in checks a token before keeping it). */
  token?: string;
}

/** `path` with the defined query parameters appended. */
export function withQuery(path: string, query: RequestOptions["query"]): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes("?") ? "&" : "?"}${s}` : path;
}

async function send(method: string, path: string, opts: RequestOptions, token: string): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  return fetch(withQuery(path, opts.query), { method, headers, body });
}

/** Turns a non-2xx answer into the error to throw. */
export async function problemOf(res: Response, method: string, path: string): Promise<Error> {
  const json: unknown = await res.json().catch(() => null);
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const slug = typeof o.type === "string" ? (o.type.split("/").pop() ?? "") : "";
  const detail = typeof o.detail === "string" ? o.detail : "";
  // The hub's fallback 404 says "No route for …": the feature is missing, not the resource.
  if (res.status === 404 && detail.startsWith("No route for")) return new NotAvailable(`${method} ${path} is not available on this hub`);
  return new ApiProblem(res.status, slug, typeof o.title === "string" ? o.title : res.statusText, detail, o);
}

/**
 * Calls the hub and returns the parsed JSON answer (undefined for 204).
 * @example const page = await request<DevicePage>("GET", "/v1/devices", { query: { prefix: "lamp" } });
 */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  let res = await send(method, path, opts, opts.token ?? (await bearer()));
  if (res.status === 401 && opts.token === undefined) {
    if (session?.kind === "oauth") {
      await renew();
      res = await send(method, path, opts, await bearer());
    }
    if (res.status === 401) {
      signOut("The hub no longer accepts this credential (revoked or expired). Sign in again.");
      throw await problemOf(res, method, path);
    }
  }
  if (!res.ok) throw await problemOf(res, method, path);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** `request` for a route at `path` with `id`-like segments encoded. */
export const seg = (s: string): string => encodeURIComponent(s);

schedule();
