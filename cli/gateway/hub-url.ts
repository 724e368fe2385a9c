/** Where the gateway reaches the hub: its base URL turned into a WebSocket URL for one path. */

/**
 * The WebSocket URL of `path` on the hub at `base` (http → ws, https → wss; ws/wss kept).
 * Throws a `TypeError` for anything else.
 *
 * @example
 * hubSocketUrl("http://127.0.0.1:8787", "/mqtt") // → "ws://127.0.0.1:8787/mqtt"
 */
export function hubSocketUrl(base: string, path: string): string {
  const url = new URL(base);
  const scheme = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" }[url.protocol];
  if (scheme === undefined) throw new TypeError(`the hub URL must be http(s) or ws(s), not ${url.protocol}`);
  url.protocol = scheme;
  // a base with a path prefix (behind a proxy) keeps it
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  url.search = "";
  url.hash = "";
  return url.toString();
}
