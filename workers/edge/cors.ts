/**
 * CORS for browser apps on other origins, by allow-list (`CORS_ORIGINS`, comma-separated,
 * `*` for any; empty by default, so no CORS headers at all). Preflights from an allowed origin
 * get 204 with the methods, headers and max-age; other origins get no CORS headers, so the
 * browser refuses. Credentials are bearer tokens, never cookies, so no
 * `Access-Control-Allow-Credentials`.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";

/** Request headers a browser app may send. */
export const CORS_ALLOW_HEADERS = "Authorization, Content-Type, Accept, If-Match, If-None-Match";
/** Methods the API uses. */
export const CORS_ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/** Response headers a browser app may read besides the safelisted ones. */
export const CORS_EXPOSE_HEADERS = "Retry-After, ETag, Location, Allow, Accept-Post, Accept-Patch, WWW-Authenticate";
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE = "600";

/** `"https://a.example, https://b.example/"` → normalized origins (lowercase, no trailing slash). */
export function parseOrigins(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((o) => o.trim().toLowerCase().replace(/\/+$/, ""))
    .filter(Boolean);
}

/** True when `origin` is on the list (or the list allows any). */
export function originAllowed(list: readonly string[], origin: string | undefined): origin is string {
  return origin !== undefined && (list.includes("*") || list.includes(origin.toLowerCase()));
}

function appendVary(headers: Headers, value: string): void {
  const vary = headers.get("vary");
  if (!vary) headers.set("vary", value);
  else if (!vary.toLowerCase().split(/\s*,\s*/).includes(value.toLowerCase())) headers.set("vary", `${vary}, ${value}`);
}

/** Middleware: answers preflights from allowed origins and marks their responses. */
export function cors() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const list = parseOrigins(c.env.CORS_ORIGINS);
    if (list.length === 0) return next();
    const origin = c.req.header("origin");
    const allowed = originAllowed(list, origin);
    if (allowed && c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": origin,
          "access-control-allow-methods": CORS_ALLOW_METHODS,
          "access-control-allow-headers": CORS_ALLOW_HEADERS,
          "access-control-max-age": CORS_MAX_AGE,
          vary: "Origin",
        },
      });
    }
    await next();
    // A 101 carries a WebSocket and cannot be rebuilt; browsers do not apply CORS to it anyway.
    if (c.res.status === 101) return;
    c.res = new Response(c.res.body, c.res);
    appendVary(c.res.headers, "Origin");
    if (!allowed) return;
    c.res.headers.set("access-control-allow-origin", origin);
    c.res.headers.set("access-control-expose-headers", CORS_EXPOSE_HEADERS);
  });
}
