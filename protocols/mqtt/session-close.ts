/**
 * The end of connections and sessions: client DISCONNECT, server-initiated closes
 * (protocol errors, keep-alive, takeover), lost sockets, wills, expiry.
 */
import type { MqttProtocolError } from "./errors";
import type { DisconnectPacket, MqttPacket } from "./packets";
import { willMessage } from "./session-messages";
import { clearSession, isExpired, keepAliveExpired, result } from "./session-state";
import { NEVER_EXPIRES, type Effect, type SessionResult, type SessionState } from "./session-types";

/** Reason codes a server may put in DISCONNECT (v5 §3.14.2.1); others become 0x80. */
const SERVER_DISCONNECT_CODES = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d,
  0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
]);

/** Reason codes a v5 CONNACK may carry for a refused connection. */
const CONNACK_CODES = new Set([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f]);

function publishWill(state: SessionState, now: number): Effect[] {
  // Marked: the host checks it against the client's rights as they are now, when it is sent.
  return state.will ? [{ type: "publish", message: willMessage(state.will, state.clientId, now), ack: null, will: true }] : [];
}

/** End the session now: publish a pending will first, then report it ended. */
function endSession(state: SessionState, now: number): SessionResult {
  const effects: Effect[] = [...publishWill(state, now), { type: "sessionEnded" }];
  return result(state, clearSession(state), [], effects);
}

/**
 * The connection is gone. With `abnormal`, the Will is published now, or after
 * its delay (v5), or when the session ends if that comes first (§3.1.3.2.2);
 * otherwise it is discarded [MQTT-3.14.4-3]. A session with expiry 0 ends here.
 */
export function goOffline(state: SessionState, now: number, abnormal: boolean): SessionResult {
  if (!state.connected) return result(state, state);
  let next: SessionState = { ...state, connected: false, disconnectedAt: now, topicAliases: {}, willAt: null };
  const effects: Effect[] = [];
  if (!abnormal) next.will = null;
  if (next.will && next.expiryInterval !== 0) {
    const delay = Math.min(next.will.delay, next.expiryInterval === NEVER_EXPIRES ? Infinity : next.expiryInterval);
    if (delay === 0) {
      effects.push(...publishWill(next, now));
      next.will = null;
    } else {
      next.willAt = now + delay * 1000;
    }
  }
  if (next.expiryInterval === 0) {
    const ended = endSession(next, now);
    effects.push(...ended.effects);
    next = ended.state;
  }
  return result(state, next, [], effects);
}

/**
 * Close the client's connection from the server side with `reasonCode`: a v5
 * client gets DISCONNECT with it, a 3.1.1 client just the close. The Will is
 * published (this is not a normal disconnect).
 * @example disconnectClient(state, ReasonCode.ServerShuttingDown, Date.now())
 */
export function disconnectClient(state: SessionState, reasonCode: number, now: number): SessionResult {
  if (!state.connected) return result(state, state);
  const out: MqttPacket[] = [];
  if (state.protocolVersion === 5) {
    out.push({ type: "disconnect", reasonCode: SERVER_DISCONNECT_CODES.has(reasonCode) ? reasonCode : 0x80 });
  }
  const offline = goOffline(state, now, true);
  return { ...offline, out, effects: [...offline.effects, { type: "close", reasonCode }] };
}

/**
 * The connection's credential was revoked or expired, or an operator disabled the client: a v5
 * client gets DISCONNECT `reasonCode` (0x87 Not authorized, 0x98 Administrative action), then
 * the close. The Will is discarded: it was registered under the credential that no longer
 * holds. With `end`, the session ends too (an app whose credential is gone can never resume it).
 * @example revokeConnection(state, 0x87, Date.now(), false)
 */
export function revokeConnection(state: SessionState, reasonCode: number, now: number, end: boolean): SessionResult {
  const out: MqttPacket[] = [];
  if (state.connected && state.protocolVersion === 5) out.push({ type: "disconnect", reasonCode: SERVER_DISCONNECT_CODES.has(reasonCode) ? reasonCode : 0x80 });
  const offline = goOffline(state, now, false);
  const effects: Effect[] = [...offline.effects];
  let next = offline.state;
  if (end && next.exists) {
    next = clearSession(next);
    effects.push({ type: "sessionEnded" });
  }
  if (state.connected) effects.push({ type: "close", reasonCode });
  return { state: next, out, effects, persist: true };
}

/**
 * Another connection is taking over this client id: call on the OLD connection
 * before `connect` for the new one. v5 gets DISCONNECT 0x8E [MQTT-3.1.4-3].
 */
export function takeover(state: SessionState, now: number): SessionResult {
  return disconnectClient(state, 0x8e, now);
}

/** The socket closed without DISCONNECT (or errored): publish the will, go offline. */
export function connectionLost(state: SessionState, now: number): SessionResult {
  return goOffline(state, now, true);
}

/**
 * Answer to a connection whose CONNECT was never accepted: v5 gets CONNACK with
 * the reason code; 3.1.1 gets CONNACK 0x01 only for an unsupported protocol level
 * [MQTT-3.1.2-2], otherwise just the close [MQTT-3.1.4-1].
 */
export function connectFailure(error: MqttProtocolError): { out: MqttPacket[]; effects: Effect[] } {
  const close: Effect = { type: "close", reasonCode: error.reasonCode };
  if (error.protocolVersion === 5) {
    const reasonCode = CONNACK_CODES.has(error.reasonCode) ? error.reasonCode : 0x80;
    return { out: [{ type: "connack", sessionPresent: false, reasonCode }], effects: [close] };
  }
  if (error.reasonCode === 0x84) return { out: [{ type: "connack", sessionPresent: false, reasonCode: 0x01 }], effects: [close] };
  return { out: [], effects: [close] };
}

/**
 * A decoding error on this session's connection: DISCONNECT with the reason (v5),
 * close, will. Before CONNECT was accepted it is {@link connectFailure}.
 */
export function protocolError(state: SessionState, error: MqttProtocolError, now: number): SessionResult {
  if (!state.connected) return { state, persist: false, ...connectFailure(error) };
  return disconnectClient(state, error.reasonCode, now);
}

/**
 * DISCONNECT from the client. v5 may update the Session Expiry Interval (not from
 * 0, §3.14.2.2.2) and keep the Will with reason 0x04; otherwise the Will is
 * discarded [MQTT-3.14.4-3]. The server then closes the connection.
 */
export function onDisconnect(state: SessionState, p: DisconnectPacket, now: number): SessionResult {
  let next = state;
  const expiry = p.properties?.sessionExpiryInterval;
  if (expiry !== undefined) {
    if (state.expiryInterval === 0 && expiry !== 0) return disconnectClient(state, 0x82, now);
    next = { ...state, expiryInterval: Math.min(expiry, state.limits.maxSessionExpiry) };
  }
  const offline = goOffline(next, now, p.reasonCode === 0x04);
  return { ...offline, persist: true, effects: [...offline.effects, { type: "close", reasonCode: 0 }] };
}

/**
 * Time-driven transitions at `now`: keep-alive timeout (DISCONNECT 0x8D, will), a
 * delayed will falling due, session expiry. Call from the host's alarm; re-arm it
 * at {@link nextDeadline}.
 */
export function tick(state: SessionState, now: number): SessionResult {
  if (state.connected) {
    // [MQTT-3.1.2-24] nothing for 1.5 × Keep Alive: close as if the network failed
    return keepAliveExpired(state, now) ? disconnectClient(state, 0x8d, now) : result(state, state);
  }
  if (state.exists && isExpired(state, now)) return endSession(state, now);
  if (state.willAt !== null && now >= state.willAt) {
    return result(state, { ...state, will: null, willAt: null }, [], publishWill(state, now));
  }
  return result(state, state);
}
