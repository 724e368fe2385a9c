/**
 * Client → server messages: PUBLISH (aliases, policy, QoS 0/1/2) and PUBREL.
 * QoS 1/2 acknowledgements travel inside the `publish` effect so the host sends
 * them only once the message is durable.
 */
import type { MqttPacket, PublishPacket, PubrelPacket } from "./packets";
import { authorize } from "./policy";
import { disconnectClient } from "./session-close";
import { messageFromPublish } from "./session-messages";
import { ack } from "./session-outbound";
import { result } from "./session-state";
import type { DropReason, SessionContext, SessionResult, SessionState } from "./session-types";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuse one PUBLISH without closing (v5): PUBACK/PUBREC with the reason code for
 * QoS 1/2 (no PUBREL follows a failed PUBREC, §4.3.3), a `dropped` note for QoS 0.
 */
function refuse(state: SessionState, p: PublishPacket, topic: string, reasonCode: number, reason: DropReason): SessionResult {
  if (p.qos === 0 || p.packetId === undefined) return result(state, state, [], [{ type: "dropped", topic, reason }]);
  return result(state, state, [ack(p.qos === 1 ? "puback" : "pubrec", p.packetId, state, reasonCode)]);
}

/** Resolve the topic through v5 Topic Aliases (§3.3.2.3.4); null means close with `code`. */
function resolveTopic(state: SessionState, p: PublishPacket): { topic: string; aliases: Record<string, string> } | { code: number } {
  const alias = p.properties?.topicAlias;
  if (alias === undefined) return { topic: p.topic, aliases: state.topicAliases };
  // [MQTT-3.3.2-9] [MQTT-3.3.2-10] only 1..Topic Alias Maximum (the one we sent)
  if (alias > state.limits.topicAliasMaximum) return { code: 0x94 };
  const key = String(alias);
  if (p.topic === "") {
    const known = Object.prototype.hasOwnProperty.call(state.topicAliases, key) ? state.topicAliases[key] : undefined;
    // an alias used before it was set is a protocol error (§3.3.4)
    return known === undefined ? { code: 0x82 } : { topic: known, aliases: state.topicAliases };
  }
  if (state.topicAliases[key] === p.topic) return { topic: p.topic, aliases: state.topicAliases };
  return { topic: p.topic, aliases: { ...state.topicAliases, [key]: p.topic } };
}

/**
 * PUBLISH from the client. QoS 0 → `publish` effect; QoS 1 → effect whose `ack`
 * is the PUBACK; QoS 2 → packet id remembered until PUBREL, effect whose `ack`
 * is the PUBREC; the same QoS 2 id again before PUBREL → an effect marked `resent`
 * (the host routes it only if the first routing did not complete: exactly once, §4.3.3). Not authorized: v5 → 0x87 in the ack;
 * 3.1.1 → close [MQTT-3.3.5-2].
 */
export function onPublish(state: SessionState, p: PublishPacket, ctx: SessionContext, now: number): SessionResult {
  const resolved = resolveTopic(state, p);
  if ("code" in resolved) return disconnectClient(state, resolved.code, now);
  const { topic, aliases } = resolved;
  const next = aliases === state.topicAliases ? state : { ...state, topicAliases: aliases };
  const id = p.packetId ?? 0;

  const allowed = authorize(ctx.policy, ctx.variables, "publish", topic);
  if (p.qos === 2 && next.awaitingRelease.includes(id)) {
    // A resend names the message already taken (§4.3.3); one naming a topic the client may not
    // publish on is not that message, and the client is disconnected: before, a resend skipped
    // the check, and any topic could be reached through a granted first PUBLISH.
    if (!allowed) return disconnectClient(next, 0x87, now);
    // A resend of a message we already took: the host routes it only if its first routing was
    // cut off (exactly once, §4.3.3), then acknowledges.
    const message = messageFromPublish(p, topic, state.clientId, now);
    return result(state, next, [], [{ type: "publish", message, ack: ack("pubrec", id, next, 0), resent: true }]);
  }
  if (!allowed) {
    if (next.protocolVersion !== 5 && next.limits.refusedPublish !== "acknowledge") return disconnectClient(next, 0x87, now);
    return { ...refuse(next, p, topic, 0x87, "not-authorized"), persist: next !== state };
  }
  // v5 §3.3.2.3.2: a payload declared UTF-8 may be checked; 0x99 if it is not
  if (p.properties?.payloadFormatIndicator === true && !isUtf8(p.payload)) {
    return { ...refuse(next, p, topic, 0x99, "payload-format-invalid"), persist: next !== state };
  }
  const message = messageFromPublish(p, topic, state.clientId, now);
  if (p.qos === 0) return result(state, next, [], [{ type: "publish", message, ack: null }]);
  if (p.qos === 1) return result(state, next, [], [{ type: "publish", message, ack: ack("puback", id, next, 0) }]);
  // v5 §3.3.4 flow control: more unreleased QoS 2 than our Receive Maximum → 0x93
  if (next.awaitingRelease.length >= next.limits.receiveMaximum) return disconnectClient(next, 0x93, now);
  const stored = { ...next, awaitingRelease: [...next.awaitingRelease, id] };
  const pubrec: MqttPacket = ack("pubrec", id, next, 0);
  return result(state, stored, [], [{ type: "publish", message, ack: pubrec }]);
}

/**
 * PUBREL: release the QoS 2 packet id and answer PUBCOMP (§4.3.3). An unknown id
 * still gets PUBCOMP, with 0x92 in v5.
 */
export function onPubrel(state: SessionState, p: PubrelPacket): SessionResult {
  if (!state.awaitingRelease.includes(p.packetId)) {
    return result(state, state, [ack("pubcomp", p.packetId, state, 0x92)]);
  }
  const next = { ...state, awaitingRelease: state.awaitingRelease.filter((id) => id !== p.packetId) };
  return result(state, next, [ack("pubcomp", p.packetId, next, 0)]);
}

/**
 * The host refused QoS 2 messages after the session took them (v5 PUBREC with a reason code of
 * 0x80 or more, from routing): that ends each exchange, no PUBREL follows (§4.3.3), so their packet
 * ids are free again; held, a new message reusing one would be taken for a resend and dropped.
 */
export function releaseRefused(state: SessionState, packetIds: readonly number[]): SessionResult {
  return result(state, { ...state, awaitingRelease: state.awaitingRelease.filter((id) => !packetIds.includes(id)) }, []);
}
