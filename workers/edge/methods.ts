/**
 * 405 and OPTIONS for every path, from the routes the app registered (not per route): a path
 * that exists with other methods answers 405 with `Allow`, and `OPTIONS` on it 204 with `Allow`.
 */

/** A registered route as Hono lists it (`app.routes`). */
export interface RouteEntry {
  method: string;
  path: string;
}

/** Turns a Hono path (`/v1/devices/:id`, `/assets/*`) into an anchored regular expression. */
function pattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((seg) => (seg === "*" ? ".*" : seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * Builds the lookup of methods allowed on a request path. Middleware (`ALL`) does not count;
 * HEAD comes with GET (Hono answers HEAD from the GET handler) and OPTIONS is always allowed.
 * @example allowedMethods([{ method: "GET", path: "/v1/devices/:id" }])("/v1/devices/d1") // ["GET", "HEAD", "OPTIONS"]
 */
export function allowedMethods(routes: readonly RouteEntry[]): (path: string) => string[] {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.method === "ALL") continue;
    const set = byPath.get(r.path) ?? new Set<string>();
    set.add(r.method.toUpperCase());
    byPath.set(r.path, set);
  }
  const table = [...byPath].map(([path, methods]) => ({ re: pattern(path), methods }));
  return (path) => {
    const methods = new Set<string>();
    for (const t of table) if (t.re.test(path)) for (const m of t.methods) methods.add(m);
    if (methods.size === 0) return [];
    if (methods.has("GET")) methods.add("HEAD");
    methods.add("OPTIONS");
    return [...methods].sort();
  };
}
