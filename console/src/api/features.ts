/**
 * What this hub can do, read from its own `/openapi.json`: a page whose routes are missing
 * shows "not available on this hub" up front instead of failing on first use, and forms take
 * their choices (webhook event names, scopes) from the schemas that validate them.
 */

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
}

/** The parsed OpenAPI document, reduced to what the console asks about. */
export interface Features {
  /** Whether `method path` (a template such as `/v1/devices/{id}/commands`) exists. */
  has(method: string, path: string): boolean;
  /** Whether the operation takes the query parameter `name`. */
  hasParam(method: string, path: string, name: string): boolean;
  /** The first path with `method` whose template matches `pattern`, or null. */
  find(method: string, pattern: RegExp): string | null;
  /** The enum of a JSON body field (or of its array items), if the schema declares one. */
  bodyEnum(method: string, path: string, field: string): string[] | null;
}

type Doc = { paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };

/** Builds `Features` from an OpenAPI 3.1 document (pure, for tests). */
export function featuresOf(doc: Doc): Features {
  const op = (method: string, path: string): Operation | undefined => doc.paths?.[path]?.[method.toLowerCase()];
  const deref = (s: unknown): Record<string, unknown> | null => {
    if (typeof s !== "object" || s === null) return null;
    const ref = (s as { $ref?: unknown }).$ref;
    if (typeof ref === "string") return deref(doc.components?.schemas?.[ref.split("/").pop() ?? ""]);
    return s as Record<string, unknown>;
  };
  const enumIn = (s: unknown): string[] | null => {
    const o = deref(s);
    if (!o) return null;
    if (Array.isArray(o.enum)) return o.enum.filter((v): v is string => typeof v === "string");
    if (o.items !== undefined) return enumIn(o.items);
    for (const k of ["anyOf", "oneOf", "allOf"]) {
      const list = o[k];
      if (Array.isArray(list)) for (const part of list) {
        const found = enumIn(part);
        if (found) return found;
      }
    }
    return null;
  };
  const fieldOf = (s: unknown, field: string): unknown => {
    const o = deref(s);
    if (!o) return undefined;
    const props = deref(o.properties);
    if (props && field in props) return props[field];
    for (const k of ["allOf", "anyOf", "oneOf"]) {
      const list = o[k];
      if (Array.isArray(list)) for (const part of list) {
        const found = fieldOf(part, field);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  // No document (it failed to load): assume every route exists and let a 404 say otherwise.
  const known = doc.paths !== undefined;
  return {
    has: (method, path) => !known || op(method, path) !== undefined,
    find: (method, pattern) => Object.keys(doc.paths ?? {}).find((p) => pattern.test(p) && op(method, p) !== undefined) ?? null,
    hasParam: (method, path, name) => (op(method, path)?.parameters ?? []).some((p) => p.name === name && p.in === "query"),
    bodyEnum: (method, path, field) => {
      const schema = op(method, path)?.requestBody?.content?.["application/json"]?.schema;
      const f = fieldOf(schema, field);
      return f === undefined ? null : enumIn(f);
    },
  };
}

let loading: Promise<Features> | null = null;

/** The hub's features, fetched once per page load (the document needs no credential). */
export function loadFeatures(): Promise<Features> {
  loading ??= fetch("/openapi.json", { headers: { accept: "application/json" } })
    .then((r) => (r.ok ? (r.json() as Promise<Doc>) : {}))
    .catch(() => ({}))
    .then(featuresOf);
  return loading;
}
