/**
 * `GET /v1/connect`: devices open the JSON-over-WebSocket protocol here. The device token comes
 * as `Authorization: Bearer`, or — for browsers, which cannot set headers on a WebSocket — as
 * the subprotocol list `umbra.v1, token.<token>`; the 101 answers `umbra.v1`.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { clientAddress } from "../edge/client-address";
import { bearerToken } from "../auth/guard";
import { resolveClientCertificate, resolveDeviceToken } from "../auth/resolve";
import type { Principal } from "../auth/principal";
import { deviceStub } from "../objects";
import { underFailureLimit } from "../limits/auth-failures";

export const connect = new Hono<AppEnv>();

/** The JSON protocol's subprotocol name. */
export const JSON_SUBPROTOCOL = "umbra.v1";

/** Splits a `Sec-WebSocket-Protocol` header into its offered names. */
export function offeredProtocols(header: string | undefined | null): string[] {
  return (header ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

async function deviceOf(c: Context<AppEnv>, offered: string[]): Promise<Principal & { kind: "device" }> {
  const fromProtocol = offered.find((p) => p.startsWith("token."))?.slice(6) ?? null;
  const token = bearerToken(c.req.header("authorization")) ?? fromProtocol;
  const p = token !== null ? await underFailureLimit(c, () => resolveDeviceToken(c.env, token)) : await resolveClientCertificate(c.env, c.req.raw.cf);
  if (!p || p.kind !== "device") throw new ApiError("unauthorized", token === null ? "A device credential is required" : "The device credential is not valid");
  return p;
}

/**
 * Forwards a WebSocket upgrade to the device's object with the verified identity. Only headers
 * the Worker sets cross: nothing a client sends can pass for the Worker's word.
 */
export function forwardUpgrade(c: Context<AppEnv>, device: Principal & { kind: "device" }, path: string, subprotocol: string | null): Promise<Response> {
  const headers = new Headers({
    upgrade: "websocket",
    "x-umbra-device": device.deviceId,
    "x-umbra-credential": device.credentialId,
    "x-umbra-remote": clientAddress(c),
  });
  if (subprotocol) headers.set("x-umbra-subprotocol", subprotocol);
  return deviceStub(c.env, device.deviceId).fetch(new Request(`https://device${path}`, { headers }));
}

connect.get("/v1/connect", async (c) => {
  const offered = offeredProtocols(c.req.header("sec-websocket-protocol"));
  const device = await deviceOf(c, offered);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("upgrade-required", "Connect with a WebSocket", {}, { upgrade: "websocket" });
  if (offered.length > 0 && !offered.includes(JSON_SUBPROTOCOL)) {
    throw new ApiError("invalid-request", `Offer the "${JSON_SUBPROTOCOL}" subprotocol`);
  }
  return forwardUpgrade(c, device, "/connect/json", offered.length > 0 ? JSON_SUBPROTOCOL : null);
});
