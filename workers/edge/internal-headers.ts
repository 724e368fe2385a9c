/**
 * `x-umbra-*` headers carry what the Worker tells an object (the verified device, the remote
 * address, the protocol). A client must never be able to send them: they are stripped from
 * every request here, before any route sees it, so an object can trust them.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";

/** The prefix of every internal header (Headers are case-insensitive and iterate lowercased). */
export const INTERNAL_HEADER_PREFIX = "x-umbra-";

/** Middleware: replaces the request with a copy without any `x-umbra-*` header. */
export function stripInternalHeaders() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const names = [...c.req.raw.headers.keys()].filter((n) => n.toLowerCase().startsWith(INTERNAL_HEADER_PREFIX));
    if (names.length > 0) {
      const headers = new Headers(c.req.raw.headers);
      for (const n of names) headers.delete(n);
      // A new Request keeps method, body, signal and `cf`; only the headers differ.
      c.req.raw = new Request(c.req.raw, { headers });
    }
    await next();
  });
}
