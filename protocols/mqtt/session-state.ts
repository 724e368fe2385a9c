/**
 * Creating, ending and inspecting session state; result helpers shared by handlers.
 */
import type { MqttPacket } from "./packets";
import { DEFAULT_LIMITS, NEVER_EXPIRES, type Effect, type SessionLimits, type SessionResult, type SessionState } from "./session-types";

/**
 * A fresh state for `clientId` with no session yet (`exists: false`). Load the
 * stored state instead when there is one.
 * @example let state = stored ?? createSession(deviceId, { maxQueued: 500 })
 */
export function createSession(clientId: string, limits: Partial<SessionLimits> = {}): SessionState {
  return {
    v: 1,
    clientId,
    exists: false,
    connected: false,
    protocolVersion: 4,
    keepAlive: 0,
    lastActivity: 0,
    expiryInterval: 0,
    disconnectedAt: null,
    ...emptySession(),
    client: { receiveMaximum: 65535, maximumPacketSize: 0 },
    limits: { ...DEFAULT_LIMITS, ...limits },
  };
}

/** What a session holds, empty: a new session starts with it and a cleared one returns to it. */
function emptySession() {
  return {
    will: null,
    willAt: null,
    subscriptions: [],
    topicAliases: {},
    awaitingRelease: [],
    nextPacketId: 1,
    inflight: [],
    queue: [],
  } satisfies Partial<SessionState>;
}

/** Drop everything the session held; keeps identity, limits and connection fields. */
export function clearSession(state: SessionState): SessionState {
  return { ...state, exists: false, ...emptySession() };
}

/**
 * True when there is no session to resume: none was created, or it ended, or it is
 * disconnected past its Session Expiry Interval. The host may then delete it.
 */
export function isExpired(state: SessionState, now: number): boolean {
  if (!state.exists) return true;
  if (state.connected || state.expiryInterval === NEVER_EXPIRES || state.disconnectedAt === null) return false;
  return now >= state.disconnectedAt + state.expiryInterval * 1000;
}

/** When the keep-alive check fails: 1.5 × Keep Alive after the last packet [MQTT-3.1.2-24]. */
function keepAliveDeadline(state: SessionState): number | null {
  return state.connected && state.keepAlive > 0 ? state.lastActivity + state.keepAlive * 1500 : null;
}

/**
 * Earliest time {@link tick} has something to do (keep-alive timeout, delayed will,
 * session expiry), or null. Hosts arm an alarm for it.
 */
export function nextDeadline(state: SessionState): number | null {
  const candidates: number[] = [];
  const keepAlive = keepAliveDeadline(state);
  if (keepAlive !== null) candidates.push(keepAlive);
  if (!state.connected && state.willAt !== null) candidates.push(state.willAt);
  if (!state.connected && state.exists && state.expiryInterval !== NEVER_EXPIRES && state.disconnectedAt !== null) {
    candidates.push(state.disconnectedAt + state.expiryInterval * 1000);
  }
  return candidates.length === 0 ? null : Math.min(...candidates);
}

/** True when the keep-alive of a connected session has run out at `now`. */
export function keepAliveExpired(state: SessionState, now: number): boolean {
  const deadline = keepAliveDeadline(state);
  return deadline !== null && now >= deadline;
}

/**
 * Record activity seen outside the state machine, e.g. a PINGREQ the platform
 * answered by itself while the object hibernated, or the time a hibernated host
 * woke with its socket still open. Keep-alive counts from the latest activity.
 * @example state = touch(state, ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0)
 */
export function touch(state: SessionState, at: number): SessionState {
  return at > state.lastActivity ? { ...state, lastActivity: at } : state;
}

/** Build a result; `persist` is derived from whether the state object changed. */
export function result(prev: SessionState, state: SessionState, out: MqttPacket[] = [], effects: Effect[] = []): SessionResult {
  return { state, out, effects, persist: state !== prev };
}
