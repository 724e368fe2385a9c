/**
 * CONNECT at the edge: who is connecting, and the link to the object that holds their session.
 * - a device: client id = device id, password = one of its live tokens (on `/mqtt/<id>` the id
 *   in the path must be the token's device too);
 * - an app: user name `app`, password = the admin token, an API key or an OAuth access token;
 *   any client id, sessions kept per credential owner so one app cannot take over another's;
 * - an anonymous client (no user name or password), only with the sandbox on (`MQTT_ANONYMOUS`).
 * Every refusal is a CONNACK, and an unknown or disabled device is refused exactly like a wrong
 * password, so the answer tells an anonymous caller nothing about which ids exist.
 */
import { refuseConnect, type ConnackPacket, type ConnectPacket } from "../../protocols/mqtt";
import type { Env } from "../../durable-objects/env";
import { resolveAppToken, resolveDeviceToken } from "../auth/resolve";
import { scopesOf, type Principal } from "../auth/principal";
import { recordAppSession } from "../registry/app-sessions";
import { deviceAccess, ownerStatements } from "../registry/access";
import { ANONYMOUS } from "../../durable-objects/app/app-session-object";
import { attemptUnderLimit } from "../limits/auth-failures";
import { APP_USERNAME } from "../registry/ids";
import { flagVar } from "../../durable-objects/vars";

export { APP_USERNAME };

const CLIENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Control characters, which MQTT discourages in client ids [MQTT-1.5.4-2] and no header value may carry. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const decoder = new TextDecoder();

/** What the route knows about a connection before CONNECT. */
export interface EdgeOptions {
  /** `/mqtt/<deviceId>`: only this device may connect here. */
  deviceId?: string;
  /** The subprotocol answered on the 101 (`mqtt` or `mqttv3.1`). */
  subprotocol: string;
  /** The client's address, for presence. */
  remote: string;
  /** Largest packet accepted (MQTT_MAX_PACKET_BYTES). */
  maximumPacketSize: number;
}

/** Either the link to the session's object, or the CONNACK that refuses the connection. */
export type ConnectOutcome = { link: WebSocket } | { refusal: ConnackPacket };

/** Decides a CONNECT and opens the session's link. */
export async function authenticateConnect(env: Env, p: ConnectPacket, options: EdgeOptions): Promise<ConnectOutcome> {
  const token = p.password ? decoder.decode(p.password) : "";
  if (options.deviceId === undefined) {
    if (p.username === APP_USERNAME) return connectApp(env, p, token, options);
    if (p.username === undefined && p.password === undefined) return connectAnonymous(env, p, options);
  }
  // Unknown token, disabled device, or (on /mqtt/<id>) another device's token: all the same answer,
  // counted against the address (AUTH_FAILURE_RATE/BURST) like a failed HTTP authentication.
  const attempt = await attemptUnderLimit(env, options.remote, async () => {
    const principal = token ? await resolveDeviceToken(env, token) : null;
    return principal?.kind === "device" && (options.deviceId === undefined || principal.deviceId === options.deviceId) ? principal : null;
  });
  if (!attempt.ok) return { refusal: refuseConnect(p, attempt.limited ? "rate-limited" : "bad-credentials") };
  const principal = attempt.value;
  // [MQTT-3.1.3-8] the client id names the session: it must be the device's id (0x02 / 0x85).
  if (p.clientId !== principal.deviceId) return { refusal: refuseConnect(p, "bad-client-id") };
  const headers = identityHeaders(options, {
    "x-umbra-device": principal.deviceId,
    "x-umbra-credential": principal.credentialId,
    "x-umbra-access": JSON.stringify(await deviceAccess(env, principal.deviceId)),
  });
  const stub = env.DEVICE.get(env.DEVICE.idFromName(principal.deviceId));
  return linkOf(await stub.fetch(new Request("https://device/connect/mqtt", { headers })));
}

async function connectApp(env: Env, p: ConnectPacket, token: string, options: EdgeOptions): Promise<ConnectOutcome> {
  const attempt = await attemptUnderLimit(env, options.remote, async () => (token ? await resolveAppToken(env, token) : null));
  if (!attempt.ok) return { refusal: refuseConnect(p, attempt.limited ? "rate-limited" : "bad-credentials") };
  const principal = attempt.value;
  const clientId = sessionClientId(p);
  if (clientId === null || !CLIENT_ID.test(clientId)) return { refusal: refuseConnect(p, "bad-client-id") };
  const owner = ownerOf(principal);
  // Sessions are per credential owner, so one app can never take over another's session.
  const session = `${owner}/${clientId}`;
  await recordAppSession(env, session, owner);
  const headers = identityHeaders(options, {
    "x-umbra-session": session,
    "x-umbra-owner": owner,
    "x-umbra-scopes": JSON.stringify(scopesOf(principal)),
    "x-umbra-statements": JSON.stringify(await ownerStatements(env, owner)),
    "x-umbra-expires": principal.kind === "oauth" ? String(principal.expiresAt) : "",
  });
  const stub = env.APP_SESSION.get(env.APP_SESSION.idFromName(session));
  return linkOf(await stub.fetch(new Request("https://app/connect", { headers })));
}

/**
 * The client id an app or sandbox session is named by. An empty one is assigned (`auto-<uuid>`,
 * which CONNACK tells a 5.0 client) [MQTT-3.1.3-6], except for 3.1.1 with Clean Session 0:
 * null, refused with 0x02 [MQTT-3.1.3-8]. (A device's client id is its device id.)
 */
function sessionClientId(p: ConnectPacket): string | null {
  if (p.clientId !== "") return p.clientId;
  return p.protocolVersion < 5 && !p.clean ? null : `auto-${crypto.randomUUID()}`;
}

/**
 * An anonymous client (no user name, no password): only when the sandbox is on
 * (`MQTT_ANONYMOUS=true`), with any client id, in the sandbox's own topic space. Sessions are
 * kept per client id.
 */
async function connectAnonymous(env: Env, p: ConnectPacket, options: EdgeOptions): Promise<ConnectOutcome> {
  if (!flagVar(env, "MQTT_ANONYMOUS")) return { refusal: refuseConnect(p, "not-authorized") };
  const clientId = sessionClientId(p);
  // The id names the session in a header: control characters cannot go there (0x02 / 0x85, not a server failure).
  if (clientId === null || clientId.length > 256 || CONTROL.test(clientId)) return { refusal: refuseConnect(p, "bad-client-id") };
  const session = `${ANONYMOUS}/${clientId}`;
  const headers = identityHeaders(options, {
    "x-umbra-session": session,
    "x-umbra-owner": ANONYMOUS,
    "x-umbra-statements": JSON.stringify(await ownerStatements(env, ANONYMOUS)),
  });
  const stub = env.APP_SESSION.get(env.APP_SESSION.idFromName(session));
  return linkOf(await stub.fetch(new Request("https://app/connect", { headers })));
}

/** The owner of an app credential: sessions, revocation and policies are kept per owner. */
export function ownerOf(p: Principal): string {
  switch (p.kind) {
    case "api-key":
      return `key:${p.id}`;
    case "oauth":
      return `client:${p.clientId}`;
    case "admin":
      return "admin";
    case "device":
      return `device:${p.deviceId}`;
  }
}

function identityHeaders(options: EdgeOptions, identity: Record<string, string>): Headers {
  return new Headers({ upgrade: "websocket", "x-umbra-subprotocol": options.subprotocol, "x-umbra-remote": options.remote, ...identity });
}

function linkOf(res: Response): ConnectOutcome {
  if (!res.webSocket) throw new Error(`the session object answered ${res.status} instead of a socket`);
  return { link: res.webSocket };
}
