/**
 * SUBSCRIBE → SUBACK and UNSUBSCRIBE → UNSUBACK, with policy checks and the
 * retained-message requests that follow a new subscription.
 */
import type { SubscribePacket, SubscriptionRequest, UnsubscribePacket } from "./packets";
import { maySubscribe } from "./policy";
import { result } from "./session-state";
import { withholdUnreceivable } from "./session-outbound";
import type { Effect, SessionContext, SessionResult, SessionState, Subscription } from "./session-types";
import { isSharedFilter, parseSharedFilter } from "./shared-subscriptions";
import { isValidTopicFilter } from "./topics";

/** SUBACK failure codes: [v5 reason code]; 3.1.1 only has 0x80. */
const FILTER_INVALID = 0x8f;
const NOT_AUTHORIZED = 0x87;
const QUOTA_EXCEEDED = 0x97;

/** Why `req` cannot be granted, as a v5 reason code, or null. */
function refusal(state: SessionState, req: SubscriptionRequest, ctx: SessionContext): number | null {
  if (!isValidTopicFilter(req.filter)) return FILTER_INVALID; // [MQTT-4.7.1-2] [MQTT-4.7.1-3]
  if (isSharedFilter(req.filter) && !parseSharedFilter(req.filter)) return FILTER_INVALID; // [MQTT-4.8.2-1] [MQTT-4.8.2-2]
  if (!maySubscribe(ctx.policy, ctx.variables, req.filter)) return NOT_AUTHORIZED;
  const exists = state.subscriptions.some((s) => s.filter === req.filter);
  if (!exists && state.subscriptions.length >= state.limits.maxSubscriptions) return QUOTA_EXCEEDED;
  return null;
}

/**
 * SUBSCRIBE: one SUBACK code per filter, in order [MQTT-3.8.4-1]; a filter equal to
 * an existing one replaces it [MQTT-3.8.4-3]. Each granted filter asks for its
 * retained messages per Retain Handling (0 always, 1 only if new, 2 never;
 * 3.1.1 always), except a shared subscription (`$share/<group>/<filter>`), which never does.
 */
export function onSubscribe(state: SessionState, p: SubscribePacket, ctx: SessionContext): SessionResult {
  const v5 = state.protocolVersion === 5;
  let subscriptions = state.subscriptions;
  const codes: number[] = [];
  const effects: Effect[] = [];
  for (const req of p.subscriptions) {
    const refused = refusal({ ...state, subscriptions }, req, ctx);
    if (refused !== null) {
      codes.push(v5 ? refused : 0x80);
      continue;
    }
    const sub: Subscription = {
      filter: req.filter,
      qos: req.qos,
      noLocal: v5 && req.noLocal,
      retainAsPublished: v5 && req.retainAsPublished,
      retainHandling: v5 ? req.retainHandling : 0,
    };
    const id = p.properties?.subscriptionIdentifier;
    if (v5 && id !== undefined) sub.identifier = id;
    const existed = subscriptions.some((s) => s.filter === req.filter);
    subscriptions = existed ? subscriptions.map((s) => (s.filter === req.filter ? sub : s)) : [...subscriptions, sub];
    // Retained messages are not sent for a shared subscription (v5 §4.8.2): its group takes new messages only.
    if (!isSharedFilter(req.filter) && (sub.retainHandling === 0 || (sub.retainHandling === 1 && !existed))) {
      effects.push({ type: "deliverRetained", filter: req.filter, qos: req.qos });
    }
    codes.push(req.qos);
  }
  const next = subscriptions === state.subscriptions ? state : { ...state, subscriptions };
  return result(state, next, [{ type: "suback", packetId: p.packetId, reasonCodes: codes }], effects);
}

/**
 * UNSUBSCRIBE: remove each filter (exact match) and answer UNSUBACK, even if none
 * existed [MQTT-3.10.4-4]; v5 gets one code per filter, 0x11 when it did not exist.
 */
export function onUnsubscribe(state: SessionState, p: UnsubscribePacket): SessionResult {
  let subscriptions = state.subscriptions;
  const codes: number[] = [];
  for (const filter of p.filters) {
    const before = subscriptions.length;
    subscriptions = subscriptions.filter((s) => s.filter !== filter);
    codes.push(subscriptions.length < before ? 0x00 : 0x11);
  }
  const next = subscriptions.length === state.subscriptions.length ? state : { ...state, subscriptions };
  const reasonCodes = state.protocolVersion === 5 ? codes : [];
  return result(state, next, [{ type: "unsuback", packetId: p.packetId, reasonCodes }], []);
}

/**
 * The session's access changed (a channel membership or a policy): subscriptions the policy
 * no longer allows are dropped at once, and so are the queued and unacknowledged messages it no
 * longer lets the client receive ({@link withholdUnreceivable}). A will is checked when it is sent
 * (the host does, against the rights of that moment), so a right taken and given back keeps it. MQTT has no server-side
 * UNSUBSCRIBE notice; the client sees nothing but the messages stop (and a later SUBSCRIBE is refused).
 * @example revalidate(state, { policy, variables: { deviceId, channel: ["kitchen"] } }, Date.now())
 */
export function revalidate(state: SessionState, ctx: SessionContext, now: number): SessionResult {
  const kept = state.subscriptions.filter((s) => maySubscribe(ctx.policy, ctx.variables, s.filter));
  const next = kept.length === state.subscriptions.length ? state : { ...state, subscriptions: kept };
  const r = withholdUnreceivable(next, ctx, now);
  return { ...r, persist: r.state !== state };
}
