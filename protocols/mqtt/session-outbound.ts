/**
 * Server → client messages: matching a message against the session's
 * subscriptions, packet ids, the in-flight window, the queue, and the client's
 * PUBACK / PUBREC / PUBCOMP.
 */
import { encode } from "./codec";
import type { AckPacket, MqttPacket, QoS } from "./packets";
import { authorize } from "./policy";
import { buildPublish, publishFromStored, storeMessage, type Delivery } from "./session-messages";
import { isExpired, result } from "./session-state";
import type { DropReason, Effect, InflightEntry, Message, SessionContext, SessionResult, SessionState, StoredMessage } from "./session-types";
import { isSharedFilter, matchingFilter } from "./shared-subscriptions";
import { topicMatches } from "./topics";

/** Options of {@link deliver}. */
export interface DeliverOptions {
  /** This is a retained message sent because of a new subscription to exactly this filter. */
  retainedFor?: string;
}

/** Resolve how `m` reaches this session, or null if no subscription matches. */
function resolve(state: SessionState, m: Message, retainedFor: string | undefined): Delivery | null {
  let qos = -1;
  let retain = false;
  const ids: number[] = [];
  for (const s of state.subscriptions) {
    if (retainedFor !== undefined ? s.filter !== retainedFor : !topicMatches(matchingFilter(s.filter), m.topic)) continue;
    // §4.8.2: a shared subscription delivers only what its group gave this session
    if (retainedFor === undefined && isSharedFilter(s.filter) && !m.sharedBy?.includes(s.filter)) continue;
    // v5 §3.8.3.1 No Local: not back to the publishing client (retained copies excepted)
    if (retainedFor === undefined && s.noLocal && m.origin === state.clientId) continue;
    qos = Math.max(qos, s.qos);
    // v5 §3.8.3.1 Retain As Published keeps the flag; otherwise forwarded copies have it cleared [MQTT-3.3.1-9]
    if (s.retainAsPublished && m.retain) retain = true;
    if (s.identifier !== undefined) ids.push(s.identifier);
  }
  if (qos < 0) return null;
  // [MQTT-3.3.1-8] a retained message sent for a new subscription keeps RETAIN = 1
  if (retainedFor !== undefined) retain = true;
  // §3.8.4: the delivered QoS is the minimum of published and granted QoS
  return { qos: Math.min(m.qos, qos) as QoS, retain, subscriptionIdentifiers: ids };
}

/** Would `packet` exceed the client's Maximum Packet Size? Then it is discarded [MQTT-3.1.2-25]. */
function tooLarge(state: SessionState, packet: MqttPacket): boolean {
  const max = state.client.maximumPacketSize;
  return max > 0 && encode(packet, state.protocolVersion).byteLength > max;
}

/**
 * Whether a QoS 1 PUBLISH of `m` fits the client's Maximum Packet Size (v5 CONNECT; 3.1.1 has
 * none). One that does not is dropped unsent [MQTT-3.1.2-24], so a caller that records delivery
 * (a command's status) must not count it as delivered.
 */
export function fitsClient(state: SessionState, m: Message, now: number): boolean {
  return !tooLarge(state, buildPublish(m, { qos: 1, retain: false, subscriptionIdentifiers: [] }, 1, false, state.protocolVersion, now));
}

function dropped(topic: string, reason: DropReason): Effect {
  return { type: "dropped", topic, reason };
}

/**
 * Topic aliases for outbound PUBLISHes (v5 §3.3.2.3.4), when the client allows them: a topic's
 * first PUBLISH on a connection carries it and a new alias, later ones only the alias (an
 * empty topic). Aliases last one connection; once the client's maximum is used, further
 * topics go out whole. Mutates nothing; returns the packets and the state with its alias table.
 */
export function withAliases(state: SessionState, out: MqttPacket[]): { state: SessionState; out: MqttPacket[] } {
  const max = Math.min(state.client.topicAliasMaximum ?? 0, state.limits.maxOutboundAliases ?? 0);
  if (state.protocolVersion !== 5 || max === 0 || !out.some((p) => p.type === "publish")) return { state, out };
  let aliases = state.outAliases ?? [];
  const mapped = out.map((p): MqttPacket => {
    if (p.type !== "publish" || p.topic === "") return p;
    const known = aliases.indexOf(p.topic);
    if (known >= 0) return { ...p, topic: "", properties: { ...p.properties, topicAlias: known + 1 } };
    if (aliases.length >= max) return p;
    aliases = [...aliases, p.topic];
    return { ...p, properties: { ...p.properties, topicAlias: aliases.length } };
  });
  return { state: aliases === state.outAliases ? state : { ...state, outAliases: aliases }, out: mapped };
}

/** A result whose PUBLISHes carry topic aliases (see {@link withAliases}). */
function aliased(r: SessionResult): SessionResult {
  const a = withAliases(r.state, r.out);
  return a.state === r.state ? { ...r, out: a.out } : { ...r, state: a.state, out: a.out };
}

/** Number of QoS 1/2 messages the client lets us have in flight [MQTT-3.3.4-9]. */
function windowSize(state: SessionState): number {
  return Math.min(state.client.receiveMaximum, state.limits.maxInflight);
}

/** Next free packet id from `from`, skipping those in flight (§2.2.1). */
function allocateId(inflight: InflightEntry[], from: number): number {
  // Ids go out in sequence and the window is far smaller than 65535, so the first is nearly always free.
  const used = (id: number) => inflight.some((e) => e.packetId === id);
  let id = from;
  while (used(id)) id = (id % 65535) + 1;
  return id;
}

/**
 * Moves queued messages from `queue[from]` on into the window while it has room (expired and
 * oversized ones are dropped), on the caller's copies of the queue and window. Returns the index
 * of the first message left in the queue and the next packet id.
 */
function fillWindow(
  state: SessionState,
  queue: readonly StoredMessage[],
  from: number,
  inflight: InflightEntry[],
  nextPacketId: number,
  now: number,
  out: MqttPacket[],
  effects: Effect[],
): { taken: number; nextPacketId: number } {
  const window = windowSize(state);
  let taken = from;
  while (taken < queue.length && inflight.length < window) {
    const message = queue[taken++]!;
    // [MQTT-3.3.2-5] an expired message is not forwarded
    if (message.expiresAt !== undefined && message.expiresAt <= now) {
      effects.push(dropped(message.topic, "expired"));
      continue;
    }
    const packetId = allocateId(inflight, nextPacketId);
    const packet = publishFromStored(message, packetId, false, state.protocolVersion, now);
    if (tooLarge(state, packet)) {
      effects.push(dropped(message.topic, "too-large"));
      continue;
    }
    inflight.push({ packetId, phase: "publish", message });
    nextPacketId = (packetId % 65535) + 1;
    out.push(packet);
  }
  return { taken, nextPacketId };
}

/**
 * Send queued messages while the window has room. Expired or oversized ones are
 * dropped. Mutates nothing; returns the new state.
 */
export function pump(state: SessionState, now: number): SessionResult {
  if (!state.connected || state.queue.length === 0 || state.inflight.length >= windowSize(state)) return result(state, state);
  const inflight = [...state.inflight];
  const out: MqttPacket[] = [];
  const effects: Effect[] = [];
  const { taken, nextPacketId } = fillWindow(state, state.queue, 0, inflight, state.nextPacketId, now, out, effects);
  return aliased(result(state, { ...state, queue: state.queue.slice(taken), inflight, nextPacketId }, out, effects));
}

/**
 * The session's access changed: messages waiting in its queue, or sent and not yet acknowledged,
 * that the client may no longer receive are dropped, since receive is checked per delivery (as
 * AWS IoT confirms it each time a message is delivered) and a resend is a delivery. Then the
 * window refills from what is left.
 */
export function withholdUnreceivable(state: SessionState, ctx: SessionContext, now: number): SessionResult {
  const may = (m: StoredMessage) => authorize(ctx.policy, ctx.variables, "receive", m.topic);
  const effects: Effect[] = [];
  const queue = state.queue.filter((m) => may(m) || void effects.push(dropped(m.topic, "not-authorized")));
  const inflight = state.inflight.filter((e) => e.phase !== "publish" || may(e.message) || void effects.push(dropped(e.message.topic, "not-authorized")));
  if (effects.length === 0) return result(state, state);
  const pumped = pump({ ...state, queue, inflight }, now);
  return { ...pumped, effects: [...effects, ...pumped.effects], persist: true };
}

/** Drop expired messages from the queue (done only when it is full). */
function pruneQueue(queue: StoredMessage[], now: number): StoredMessage[] {
  return queue.filter((m) => m.expiresAt === undefined || m.expiresAt > now);
}

/**
 * Deliver a message published elsewhere to this session. QoS 0 goes out only while
 * connected; QoS 1/2 go out when the window has room, else wait in the queue
 * (also while offline, for a persistent session). Checks the `receive` policy.
 * @example
 * const r = deliver(state, message, { policy, variables }, Date.now());
 */
export function deliver(state: SessionState, message: Message, ctx: SessionContext, now: number, options: DeliverOptions = {}): SessionResult {
  if (isExpired(state, now)) return result(state, state);
  const a = admit(state, message, ctx, now, options.retainedFor);
  if (a === null) return result(state, state);
  if ("drop" in a) return result(state, state, [], [a.drop]);
  if ("send" in a) return aliased(result(state, state, [a.send]));
  let queue = state.queue;
  if (queue.length >= state.limits.maxQueued) queue = pruneQueue(queue, now);
  if (queue.length >= state.limits.maxQueued) return result(state, state, [], [dropped(message.topic, "queue-full")]);
  // Queue first, then pump: keeps QoS 1/2 order per topic [MQTT-4.6.0-6].
  const pumped = pump({ ...state, queue: [...queue, storeMessage(message, a.queue)] }, now);
  return { ...pumped, persist: true };
}

/**
 * What becomes of a message routed to the session, before its queue: nothing (not for this
 * session: null), a drop, a QoS 0 PUBLISH to send at once, or a delivery to queue.
 */
function admit(
  state: SessionState,
  message: Message,
  ctx: SessionContext,
  now: number,
  retainedFor: string | undefined,
): { drop: Effect } | { send: MqttPacket } | { queue: Delivery } | null {
  const delivery = resolve(state, message, retainedFor);
  if (delivery === null) return null;
  if (!authorize(ctx.policy, ctx.variables, "receive", message.topic)) return { drop: dropped(message.topic, "not-authorized") };
  if (message.expiresAt !== undefined && message.expiresAt <= now) return { drop: dropped(message.topic, "expired") };
  if (delivery.qos !== 0) return { queue: delivery };
  // QoS 0 is never queued: without a connection it is gone
  if (!state.connected) return { drop: dropped(message.topic, "offline") };
  const packet = buildPublish(message, delivery, undefined, false, state.protocolVersion, now);
  return tooLarge(state, packet) ? { drop: dropped(message.topic, "too-large") } : { send: packet };
}

/**
 * Delivers a batch of messages published elsewhere: the same result as {@link deliver} applied
 * to each in turn (packets in the same order, the same drops, the same state), with the queue
 * and the window copied once for the batch rather than once per message — a subscriber that is
 * behind holds thousands of queued messages, and copying them per delivery was quadratic.
 */
export function deliverAll(state: SessionState, messages: readonly Message[], ctx: SessionContext, now: number): SessionResult {
  if (messages.length === 1) return deliver(state, messages[0]!, ctx, now);
  if (messages.length === 0 || isExpired(state, now)) return result(state, state);
  let queue: StoredMessage[] = [...state.queue];
  let head = 0;
  const inflight = [...state.inflight];
  let nextPacketId = state.nextPacketId;
  const out: MqttPacket[] = [];
  const effects: Effect[] = [];
  let queued = false;
  // Once pruned at `now`, the queue holds nothing expired for the rest of the batch (an expired
  // message is never queued), so a full queue is filtered once per batch, not once per message.
  let pruned = false;
  for (const message of messages) {
    const a = admit(state, message, ctx, now, undefined);
    if (a === null) continue;
    if ("drop" in a) effects.push(a.drop);
    if ("send" in a) out.push(a.send);
    if (!("queue" in a)) continue;
    if (queue.length - head >= state.limits.maxQueued && !pruned) {
      queue = pruneQueue(queue.slice(head), now);
      head = 0;
      pruned = true;
    }
    if (queue.length - head >= state.limits.maxQueued) {
      effects.push(dropped(message.topic, "queue-full"));
      continue;
    }
    queue.push(storeMessage(message, a.queue));
    queued = true;
    if (state.connected) ({ taken: head, nextPacketId } = fillWindow(state, queue, head, inflight, nextPacketId, now, out, effects));
  }
  const next = queued ? { ...state, queue: queue.slice(head), inflight, nextPacketId } : state;
  return { ...aliased(result(state, next, out, effects)), persist: queued };
}

/**
 * On reconnect with a session present: resend every unacknowledged PUBLISH with
 * DUP = 1 and every PUBREL, in their original order, then fill the window from
 * the queue [MQTT-4.4.0-1]. A PUBLISH whose message expired meanwhile is dropped instead
 * (mosquitto does the same): an expired message is never delivered late, and the client holds
 * no state for a PUBLISH it has not acknowledged (a PUBREL's message was received: it stays).
 */
export function resend(state: SessionState, now: number): SessionResult {
  const out: MqttPacket[] = [];
  const effects: Effect[] = [];
  const inflight: InflightEntry[] = [];
  for (const entry of state.inflight) {
    if (entry.phase === "pubrel") {
      inflight.push(entry);
      out.push(ack("pubrel", entry.packetId, state, 0));
      continue;
    }
    if (entry.message.expiresAt !== undefined && entry.message.expiresAt <= now) {
      effects.push(dropped(entry.message.topic, "expired"));
      continue;
    }
    const packet = publishFromStored(entry.message, entry.packetId, true, state.protocolVersion, now);
    if (tooLarge(state, packet)) {
      effects.push(dropped(entry.message.topic, "too-large"));
      continue;
    }
    inflight.push(entry);
    out.push(packet);
  }
  const resent = aliased({ state: inflight.length === state.inflight.length ? state : { ...state, inflight }, out, effects: [], persist: false });
  const pumped = pump(resent.state, now);
  return { state: pumped.state, out: [...resent.out, ...pumped.out], effects: [...effects, ...pumped.effects], persist: pumped.state !== state };
}

/** An acknowledgement packet; the reason code is only sent in v5. */
export function ack<T extends "puback" | "pubrec" | "pubrel" | "pubcomp">(type: T, packetId: number, state: SessionState, reasonCode: number): AckPacket<T> {
  return state.protocolVersion === 5 ? { type, packetId, reasonCode } : { type, packetId };
}

function removeAt(state: SessionState, index: number, now: number): SessionResult {
  const inflight = state.inflight.filter((_, i) => i !== index);
  const pumped = pump({ ...state, inflight }, now);
  return { ...pumped, persist: true };
}

/** PUBACK from the client: the QoS 1 message is done (§4.3.2). Unknown ids are ignored. */
export function onPuback(state: SessionState, p: AckPacket<"puback">, now: number): SessionResult {
  const index = state.inflight.findIndex((e) => e.packetId === p.packetId && e.phase === "publish" && e.message.qos === 1);
  return index === -1 ? result(state, state) : removeAt(state, index, now);
}

/**
 * PUBACKs of several QoS 1 messages (a client acknowledges a burst together): the same result as
 * {@link onPuback} for each in turn, with the window and queue copied once, not per PUBACK.
 */
export function onPubacks(state: SessionState, packetIds: readonly number[], now: number): SessionResult {
  const inflight = [...state.inflight];
  const out: MqttPacket[] = [];
  const effects: Effect[] = [];
  let head = 0;
  let nextPacketId = state.nextPacketId;
  let changed = false;
  for (const id of packetIds) {
    const index = inflight.findIndex((e) => e.packetId === id && e.phase === "publish" && e.message.qos === 1);
    if (index === -1) continue;
    inflight.splice(index, 1);
    changed = true;
    if (state.connected) ({ taken: head, nextPacketId } = fillWindow(state, state.queue, head, inflight, nextPacketId, now, out, effects));
  }
  if (!changed) return result(state, state);
  const queue = head > 0 ? state.queue.slice(head) : state.queue;
  return { ...aliased(result(state, { ...state, queue, inflight, nextPacketId }, out, effects)), persist: true };
}

/**
 * PUBREC from the client: answer PUBREL and forget the payload (§4.3.3);
 * a v5 failure code (≥ 0x80) ends the flow. Unknown ids get PUBREL 0x92 (v5).
 */
export function onPubrec(state: SessionState, p: AckPacket<"pubrec">, now: number): SessionResult {
  const index = state.inflight.findIndex((e) => e.packetId === p.packetId);
  const entry = state.inflight[index];
  if (entry === undefined || (entry.phase === "publish" && entry.message.qos !== 2)) {
    return result(state, state, [ack("pubrel", p.packetId, state, 0x92)]);
  }
  if (entry.phase === "pubrel") return result(state, state, [ack("pubrel", p.packetId, state, 0)]);
  if ((p.reasonCode ?? 0) >= 0x80) return removeAt(state, index, now);
  const inflight = state.inflight.map((e, i): InflightEntry => (i === index ? { packetId: e.packetId, phase: "pubrel" } : e));
  return result(state, { ...state, inflight }, [ack("pubrel", p.packetId, state, 0)]);
}

/** PUBCOMP from the client: the QoS 2 message is done. Unknown ids are ignored. */
export function onPubcomp(state: SessionState, p: AckPacket<"pubcomp">, now: number): SessionResult {
  const index = state.inflight.findIndex((e) => e.packetId === p.packetId && e.phase === "pubrel");
  return index === -1 ? result(state, state) : removeAt(state, index, now);
}
