/**
 * CONNECT → CONNACK: credentials (decided by the host), client id, will, clean
 * start / session present, expiry, keep-alive, and the resend on resumption.
 */
import type { ConnackPacket, ConnackProperties, ConnectPacket } from "./packets";
import { authorize } from "./policy";
import { goOffline } from "./session-close";
import { storeWill, willMessage } from "./session-messages";
import { resend } from "./session-outbound";
import { clearSession, isExpired, result } from "./session-state";
import type { AuthResult, Effect, SessionContext, SessionResult, SessionState } from "./session-types";

/** CONNACK codes for a refused connection: [v5 reason code, 3.1.1 return code]. */
const REFUSALS = {
  "bad-credentials": [0x86, 0x05],
  "not-authorized": [0x87, 0x05],
  banned: [0x8a, 0x05],
  "server-unavailable": [0x88, 0x03],
  "bad-client-id": [0x85, 0x02],
  "bad-auth-method": [0x8c, 0x05],
  // Too many failed CONNECTs from the client's address: v5 Connection rate exceeded, 3.1.1 Server unavailable.
  "rate-limited": [0x9f, 0x03],
} as const;

/** Why a CONNECT is refused. */
export type ConnectRefusal = keyof typeof REFUSALS;

/**
 * The refusing CONNACK for `why` in the client's protocol version [MQTT-3.2.2-5]; the
 * connection is closed after it. Hosts that refuse before any session exists (the edge) use it.
 * @example ws.send(encode(refuseConnect(packet, "bad-client-id"), packet.protocolVersion)) // 0x85 / 0x02
 */
export function refuseConnect(packet: Pick<ConnectPacket, "protocolVersion">, why: ConnectRefusal): ConnackPacket {
  const [v5, v3] = REFUSALS[why];
  return { type: "connack", sessionPresent: false, reasonCode: packet.protocolVersion === 5 ? v5 : v3 };
}

function refuse(state: SessionState, packet: ConnectPacket, why: ConnectRefusal): SessionResult {
  const connack = refuseConnect(packet, why);
  // A refused CONNECT leaves any stored session untouched.
  return result(state, state, [connack], [{ type: "close", reasonCode: connack.reasonCode }]);
}

/**
 * Handle an accepted-by-codec CONNECT. `auth` is the host's verdict on the
 * credentials; `state` is the stored session for this client id (or
 * {@link createSession}). If the client is still connected elsewhere, call
 * `takeover` on that connection first.
 *
 * Bad credentials → CONNACK 0x86 (v5) / 0x05 (3.1.1) and close. A client id that
 * differs from the session's → 0x85 / 0x02; an empty one is assigned the
 * session's id (v5 tells the client), except 3.1.1 with Clean Session 0
 * [MQTT-3.1.3-8]. A will whose topic the policy does not let the client publish
 * → 0x87 / 0x05. Enhanced authentication is not supported → 0x8C.
 */
export function connect(state: SessionState, packet: ConnectPacket, auth: AuthResult, ctx: SessionContext, now: number): SessionResult {
  const v5 = packet.protocolVersion === 5;
  if (!auth.ok) return refuse(state, packet, auth.reason);
  if (packet.properties?.authenticationMethod !== undefined) return refuse(state, packet, "bad-auth-method");
  if (packet.clientId === "" ? !v5 && !packet.clean : packet.clientId !== state.clientId) return refuse(state, packet, "bad-client-id");
  if (packet.will && !authorize(ctx.policy, ctx.variables, "publish", packet.will.topic)) return refuse(state, packet, "not-authorized");

  const effects: Effect[] = [];
  let current = state;
  if (current.connected) {
    // The host skipped takeover(): close the old connection's session side anyway.
    // Its will still goes out, but not its sessionEnded: the state returned here is the new
    // session, which the host would otherwise delete right after saving it.
    const old = goOffline(current, now, true);
    effects.push(...old.effects.filter((e) => e.type !== "sessionEnded"));
    current = old.state;
  }

  const limits = current.limits;
  const requested = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) : packet.clean ? 0 : limits.persistentSessionExpiry;
  const expiryInterval = Math.min(requested, limits.maxSessionExpiry);
  // [MQTT-3.2.2-2] session present only when resuming; [MQTT-3.1.2-6] Clean Session/Start discards it
  const resume = !packet.clean && current.exists && !isExpired(current, now);
  if (!resume) {
    // The old session ends here: a will still waiting for its delay goes out now (§3.1.3.2.2).
    if (current.will && current.willAt !== null) effects.push({ type: "publish", message: willMessage(current.will, current.clientId, now), ack: null });
    current = clearSession(current);
  }
  // else [MQTT-3.1.3-9]: a will still waiting for its delay is not sent

  let keepAlive = packet.keepAlive;
  const properties: ConnackProperties = {};
  if (v5) {
    if (limits.maxKeepAlive > 0 && (keepAlive === 0 || keepAlive > limits.maxKeepAlive)) {
      keepAlive = limits.maxKeepAlive;
      properties.serverKeepAlive = keepAlive; // [MQTT-3.2.2-21] the client must use it
    }
    if (expiryInterval !== requested) properties.sessionExpiryInterval = expiryInterval;
    if (packet.clientId === "") properties.assignedClientIdentifier = current.clientId;
    properties.receiveMaximum = limits.receiveMaximum;
    properties.maximumPacketSize = limits.maximumPacketSize;
    properties.topicAliasMaximum = limits.topicAliasMaximum;
  }

  const next: SessionState = {
    ...current,
    exists: true,
    connected: true,
    protocolVersion: packet.protocolVersion,
    keepAlive,
    lastActivity: now,
    expiryInterval,
    disconnectedAt: null,
    will: packet.will ? storeWill(packet.will, v5) : null,
    willAt: null,
    topicAliases: {},
    outAliases: [],
    client: {
      receiveMaximum: (v5 && packet.properties?.receiveMaximum) || 65535,
      maximumPacketSize: (v5 && packet.properties?.maximumPacketSize) || 0,
      topicAliasMaximum: (v5 && packet.properties?.topicAliasMaximum) || 0,
    },
  };
  const connack: ConnackPacket = { type: "connack", sessionPresent: resume, reasonCode: 0 };
  if (v5) connack.properties = properties;
  const resent = resume ? resend(next, now) : result(next, next);
  return { state: resent.state, out: [connack, ...resent.out], effects: [...effects, ...resent.effects], persist: true };
}
