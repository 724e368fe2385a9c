/**
 * QoS 0 fan-out: at most once, so nothing is written — each session's messages are batched and
 * sent by one call per batch, in order (calls through one stub arrive in order), and a failed
 * call is dropped. QoS 1/2 messages go through a durable outbox instead (outbox.ts). MQTT orders
 * messages per topic and QoS [MQTT-4.6.0-6], so QoS 0 messages need not wait behind QoS 1 ones.
 */
import { addressed, type Message } from "../../protocols/mqtt";
import { GroupCommit } from "./group-commit";

export class VolatileDelivery {
  private readonly batches = new Map<string, GroupCommit<Message>>();

  constructor(private readonly deliver: (session: string, messages: Message[]) => Promise<void>) {}

  /**
   * Splits a publisher's messages: QoS 0 ones go now to every session `sessionsFor` names;
   * returned are the QoS 1/2 ones that have a session to go to (for the caller's outbox, whose
   * drain asks again: for them `sessionsFor` is asked to `peek`, so a shared group's turn is
   * taken once, by the delivery).
   */
  route(messages: readonly Message[], sessionsFor: (topic: string, peek: boolean) => Map<string, readonly string[]>): Message[] {
    const durable: Message[] = [];
    for (const m of messages) {
      const sessions = sessionsFor(m.topic, m.qos > 0);
      if (sessions.size === 0) continue;
      if (m.qos > 0) durable.push(m);
      else for (const [session, sharedBy] of sessions) this.send(session, addressed(m, sharedBy));
    }
    return durable;
  }

  /** Sends `message` to `session` with the rest of this turn's batch for it; never throws. */
  private send(session: string, message: Message): void {
    let batch = this.batches.get(session);
    if (!batch) this.batches.set(session, (batch = new GroupCommit((items) => this.deliver(session, items))));
    batch.add([message]).catch(() => undefined);
  }
}
