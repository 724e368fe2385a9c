/** Who is calling, once authenticated, and what they may do. */

/** Every scope an app credential can carry; `admin` implies all others. */
export const SCOPES = [
  "devices:read",
  "devices:write",
  "shadows:read",
  "shadows:write",
  "commands:write",
  "rules:write",
  "webhooks:write",
  "admin",
] as const;

export type Scope = (typeof SCOPES)[number];

/** A verified identity, handed from the Worker to everything behind it. */
export type Principal =
  | { kind: "admin" }
  | { kind: "api-key"; id: string; scopes: Scope[] }
  | { kind: "oauth"; clientId: string; scopes: Scope[]; expiresAt: number }
  | { kind: "device"; deviceId: string; credentialId: string; via: "token" | "x509" };

/** Narrows strings to scopes, dropping unknown ones. */
export function toScopes(values: readonly string[]): Scope[] {
  return values.filter((v): v is Scope => (SCOPES as readonly string[]).includes(v));
}

/** Whether an app principal holds `scope` (devices hold no scopes: they are checked by ownership). */
export function hasScope(p: Principal, scope: Scope): boolean {
  switch (p.kind) {
    case "admin":
      return true;
    case "api-key":
    case "oauth":
      return p.scopes.includes("admin") || p.scopes.includes(scope);
    case "device":
      return false;
  }
}

/** Scopes a principal holds, expanded (`admin` → everything). */
export function scopesOf(p: Principal): Scope[] {
  switch (p.kind) {
    case "admin":
      return [...SCOPES];
    case "api-key":
    case "oauth":
      return p.scopes.includes("admin") ? [...SCOPES] : p.scopes;
    case "device":
      return [];
  }
}
