/**
 * A message the client published (or its will), on its way out of the session: held to the
 * client's rate, routed at most once when it is QoS 2 (mqtt-qos2.ts), its acknowledgement carrying
 * the routing's v5 reason code and leaving only after the writes it waits for.
 */
import type { Message, MqttPacket, ProtocolVersion } from "../../protocols/mqtt";
import { DROP, FLOODING, pace } from "../shared/token-bucket";
import type { MqttServices } from "./mqtt-services";
import type { Once, Qos2Receipts } from "./mqtt-qos2";

/** What a publish adds to its result's sending: the acknowledgement, and the writes (or the rate's wait) before it. */
export interface PublishOutcome {
  ack: MqttPacket | null;
  waits: Promise<void>[];
}

export interface PublishContext {
  /** From the client (paced, QoS 2 routed once); false for a will. */
  inbound: boolean;
  now: number;
  version: ProtocolVersion;
  /** The QoS 2 ids this result took, by packet id (Qos2Receipts.follow). */
  taken: ReadonlyMap<number, Once>;
  /** Messages for the session itself (shadow responses), delivered after the result. */
  later: Message[];
  /** Set when a QoS 0 message was dropped from a client past its refusals (token-bucket.ts SenderRate): end its connection. */
  flooding?: boolean;
}

/** Routes one publish effect; null when it is dropped (a QoS 0 message over the client's rate). */
export async function routePublish(
  svc: MqttServices,
  receipts: Qos2Receipts,
  e: { message: Message; ack: MqttPacket | null; resent?: true },
  c: PublishContext,
): Promise<PublishOutcome | null> {
  // The client's own messages are held to its rate: over it, a QoS 0 message is dropped
  // (at most once allows it) and a QoS 1/2 acknowledgement waits, which slows the client.
  const wait = c.inbound ? pace(svc.rate, e.message.qos, c.now) : 0;
  if (wait === FLOODING) c.flooding = true;
  if (wait === DROP || wait === FLOODING) return null;
  const waits: Promise<void>[] = [];
  if (wait > 0) waits.push(new Promise((resolve) => setTimeout(resolve, wait)));
  const id = e.ack?.type === "pubrec" ? e.ack.packetId : -1;
  const once = e.resent ? receipts.resent(id) : c.taken.get(id);
  // A resend that a write in this object stored already: acknowledged, not routed again.
  if (once === null) return { ack: e.ack, waits };
  const route = svc.route(e.message, c.later, once);
  const routed = route instanceof Promise ? await route : route;
  if (routed.durable) waits.push(routed.durable);
  const ack = e.ack && routed.reason !== 0 && "reasonCode" in e.ack && c.version === 5 ? { ...e.ack, reasonCode: routed.reason, ...(routed.reasonString ? { properties: { reasonString: routed.reasonString } } : {}) } : e.ack;
  return { ack, waits };
}
