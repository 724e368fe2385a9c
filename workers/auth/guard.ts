/**
 * Route guards: every `/v1` route declares the scope it needs. `guard` authenticates the
 * caller (Bearer secret, or a Cloudflare-verified client certificate for devices) and checks
 * that scope; a device passes only for routes that allow devices, and only for its own id.
 */
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { hasScope, type Principal, type Scope } from "./principal";
import { resolveBearer, resolveClientCertificate } from "./resolve";
import { underFailureLimit } from "../limits/auth-failures";

/** What a route requires: a scope for apps, and whether a device may call it on itself. */
export interface Access {
  scope: Scope;
  /** Route parameter holding the device id a device may act on (e.g. "id"); omitted: devices refused. */
  deviceParam?: string;
}

/** Reads the Bearer token from the Authorization header; null when absent. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

/**
 * Authenticates a request; throws 401 when there is no credential or it is not valid, and 429
 * once the address has sent too many bad ones (checked before the credential is looked at).
 */
export async function authenticate(c: Context<AppEnv>): Promise<Principal> {
  const token = bearerToken(c.req.header("authorization"));
  if (token !== null) {
    const p = await underFailureLimit(c, () => resolveBearer(c.env, token));
    if (!p) throw new ApiError("unauthorized", "The credential is not valid (unknown, revoked or expired)");
    return p;
  }
  const cert = await resolveClientCertificate(c.env, c.req.raw.cf);
  if (cert) return cert;
  if (c.req.header("authorization")) throw new ApiError("unauthorized", "Use `Authorization: Bearer <token>`");
  throw new ApiError("unauthorized", "A credential is required");
}

/** Throws 403 unless `p` may perform an action needing `access` on the given device. */
export function authorize(p: Principal, access: Access, deviceId: string | undefined): void {
  if (p.kind === "device") {
    if (access.deviceParam !== undefined && deviceId !== undefined && p.deviceId === deviceId) return;
    throw new ApiError("forbidden", "A device credential may only be used on its own device's resources");
  }
  if (!hasScope(p, access.scope)) throw new ApiError("forbidden", `This route needs the "${access.scope}" scope`);
}

/**
 * Middleware factory for one route.
 * @example createRoute({ ..., middleware: [guard({ scope: "devices:read" })] })
 */
export function guard(access: Access) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = await authenticate(c);
    authorize(principal, access, access.deviceParam ? c.req.param(access.deviceParam) : undefined);
    c.set("principal", principal);
    await next();
  });
}
