/**
 * The MQTT session state machine: pure functions `(state, input, now) → result`.
 *
 * A host (the device's Durable Object) owns the socket, the storage and fan-out;
 * it feeds decoded packets and events in and performs what comes back:
 *
 * ```ts
 * on start:  state = load() ?? createSession(deviceId, limits)
 *            if (state.connected && no socket survived) apply(connectionLost(state, now))
 * on bytes:  try { packets = stream.push(bytes) } catch (e) {   // e: MqttProtocolError
 *              process e.packets as below, then on this socket:
 *              socket's CONNECT accepted ? apply(protocolError(state, e, now)) : send/close per connectFailure(e)
 *            }
 *            for each packet: apply(first ? connect(state, p, await verify(p), ctx, now)
 *                                         : handlePacket(state, p, ctx, now))
 *            (out/close of a result go to the socket whose bytes caused it; for deliver and
 *            tick, to the session's current socket)
 * on close:  apply(connectionLost(state, now))               // no DISCONNECT seen
 * on alarm:  state = touch(state, lastAutoResponse); apply(tick(state, now)); setAlarm(nextDeadline(state))
 * on message routed to this client: apply(deliver(state, message, ctx, now))
 * on new connection while connected: apply(takeover(state, now)) on the old socket, then connect
 *
 * apply(r): state = r.state
 *   batch: if r.persist, write r.state; for each publish effect write the message
 *          (QoS > 0 or retained) — all in one transaction (group commit is fine)
 *   then, in order, never ahead of an earlier uncommitted batch:
 *          send r.out; send each publish effect's ack; fan out published messages;
 *          for deliverRetained: deliver(state, m, ctx, now, { retainedFor: filter }) per retained m;
 *          close the socket on close; delete the row on sessionEnded
 * ```
 */
import type { MqttPacket } from "./packets";
import { disconnectClient, onDisconnect } from "./session-close";
import { onPublish, onPubrel } from "./session-inbound";
import { onPuback, onPubacks, onPubcomp, onPubrec } from "./session-outbound";
import { result } from "./session-state";
import { onSubscribe, onUnsubscribe } from "./session-subscribe";
export { revalidate } from "./session-subscribe";
export { releaseRefused } from "./session-inbound";
import type { SessionContext, SessionResult, SessionState } from "./session-types";

export { connect, refuseConnect, type ConnectRefusal } from "./session-connect";
export { connectFailure, connectionLost, disconnectClient, protocolError, revokeConnection, takeover, tick } from "./session-close";
export { deliver, deliverAll, fitsClient, type DeliverOptions } from "./session-outbound";
export { createSession, isExpired, nextDeadline, touch } from "./session-state";
export * from "./session-types";

function dispatch(state: SessionState, packet: MqttPacket, ctx: SessionContext, now: number): SessionResult {
  switch (packet.type) {
    case "publish":
      return onPublish(state, packet, ctx, now);
    case "puback":
      return onPuback(state, packet, now);
    case "pubrec":
      return onPubrec(state, packet, now);
    case "pubrel":
      return onPubrel(state, packet);
    case "pubcomp":
      return onPubcomp(state, packet, now);
    case "subscribe":
      return onSubscribe(state, packet, ctx);
    case "unsubscribe":
      return onUnsubscribe(state, packet);
    case "pingreq":
      return result(state, state, [{ type: "pingresp" }]); // [MQTT-3.12.4-1]
    case "disconnect":
      return onDisconnect(state, packet, now);
    case "auth":
      // no Authentication Method was accepted in CONNECT, so AUTH is a protocol error (§4.12)
      return disconnectClient(state, 0x82, now);
    case "connect": // [MQTT-3.1.0-2]
    case "connack":
    case "suback":
    case "unsuback":
    case "pingresp":
      return disconnectClient(state, 0x82, now);
  }
}

/**
 * Handle one packet received after CONNECT was accepted. Every packet counts for
 * keep-alive; `persist` is false when only that changed.
 * @example
 * for (const packet of stream.push(bytes)) apply(handlePacket(state, packet, ctx, Date.now()))
 */
export function handlePacket(state: SessionState, packet: MqttPacket, ctx: SessionContext, now: number): SessionResult {
  if (!state.connected) return result(state, state, [], [{ type: "close", reasonCode: 0x82 }]);
  const r = dispatch(state, packet, ctx, now);
  if (!r.state.connected) return r;
  return { ...r, state: { ...r.state, lastActivity: now } };
}

/**
 * Handle a run of PUBACKs received together: the same result as {@link handlePacket} for each
 * in turn, in one step (see onPubacks).
 */
export function handlePubacks(state: SessionState, packetIds: readonly number[], now: number): SessionResult {
  if (!state.connected) return result(state, state, [], packetIds.map(() => ({ type: "close", reasonCode: 0x82 })));
  if (packetIds.length === 0) return result(state, state);
  const r = onPubacks(state, packetIds, now);
  return { ...r, state: { ...r.state, lastActivity: now } };
}
