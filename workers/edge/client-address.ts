/**
 * Whose request this is, by address: what failed sign-ins are counted against and what a device's
 * presence shows as its remote address. It is the address Cloudflare's edge (or local workerd)
 * saw, never a header a client set — except for a gateway (`umbra gateway`) that proves it holds
 * the deployment's `GATEWAY_KEY` with `Umbra-Gateway-Key`: every device behind a gateway arrives
 * from the gateway's address, so the gateway names each one in `Forwarded: for=` (RFC 7239) and
 * one device failing its sign-ins no longer locks out its neighbours. A wrong key is refused (401)
 * and counted as a failed sign-in of the sender's own address.
 */
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { constantTimeEqual } from "../auth/crypto";
import { attemptUnderLimit } from "../limits/auth-failures";
import { tooManyRequests } from "../limits/limit";

/** The header a gateway proves itself with. */
export const GATEWAY_KEY_HEADER = "umbra-gateway-key";

/** The client's address (see the file's comment); the middleware has resolved it. */
export function clientAddress(c: Context<AppEnv>): string {
  return c.get("clientAddress") ?? c.req.header("cf-connecting-ip") ?? "unknown";
}

/**
 * The address in the first `for=` of a `Forwarded` header: an IPv4 or IPv6 address, quoted or
 * not, IPv6 in brackets, with or without a port. Null when there is none or it is not an address.
 */
export function forwardedFor(header: string | undefined): string | null {
  const first = header?.split(",")[0] ?? "";
  const pair = first.split(";").map((p) => p.trim()).find((p) => p.toLowerCase().startsWith("for="));
  if (!pair) return null;
  let value = pair.slice(4).trim();
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
  let address: string;
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    if (end < 0) return null;
    address = value.slice(1, end);
  } else {
    // IPv4, maybe with :port (an unbracketed IPv6 address has more than one colon).
    address = value.split(":").length === 2 ? value.slice(0, value.indexOf(":")) : value;
  }
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (ipv4) return ipv4.slice(1).every((o) => Number(o) <= 255) ? address : null;
  return /^[0-9a-fA-F:.]{2,45}$/.test(address) && address.includes(":") ? address.toLowerCase() : null;
}

/** Middleware: resolves the client's address once per request, trusting a gateway that holds the key. */
export function resolveClientAddress() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header(GATEWAY_KEY_HEADER);
    if (key !== undefined) {
      const own = c.req.header("cf-connecting-ip") ?? "unknown";
      const configured = c.env.GATEWAY_KEY;
      const proved = await attemptUnderLimit(c.env, own, async () => (configured && (await constantTimeEqual(key, configured)) ? true : null));
      if (!proved.ok) {
        if (proved.limited) throw tooManyRequests(proved.limited.retryAfterSeconds, "failed authentications from this address");
        throw new ApiError("unauthorized", configured ? "The gateway key is not this hub's" : "This hub takes no gateway key (GATEWAY_KEY is not set)");
      }
      const device = forwardedFor(c.req.header("forwarded"));
      if (device === null) throw new ApiError("invalid-request", "A gateway names its client's address in Forwarded: for=");
      c.set("clientAddress", device);
    }
    await next();
  });
}
