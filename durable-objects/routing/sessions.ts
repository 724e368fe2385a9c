/**
 * MQTT sessions by address, as shards and publishers name them: `d:<deviceId>` is a device's
 * session in its DeviceObject, `a:<name>` an app's (or an anonymous client's) session in its
 * AppSessionObject. Both objects take a batch of messages the same way.
 */
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";
import type { DeliveryMark } from "../shared/delivery-marks";

/** The address of a device's session. */
export const deviceSession = (deviceId: string): string => `d:${deviceId}`;

/** The address of an app session (object name `<owner>/<clientId>`). */
export const appSession = (name: string): string => `a:${name}`;

/** The address of a webhook (its object turns messages into signed HTTP POSTs). */
export const webhookSession = (webhookId: string): string => `w:${webhookId}`;

/** How many session stubs an object keeps (the least recently made go first). */
const MAX_STUBS = 1024;

type SessionStub = { deliverMessages(messages: Message[], mark?: DeliveryMark): Promise<void> };

/**
 * Hands batches of messages to sessions' objects. A stub is made once per session and kept:
 * making one hashes the object's name, which a subscriber's every delivery paid for, and calls
 * through one stub arrive in order. A stub whose call failed is dropped and made again.
 */
export class SessionStubs {
  private readonly stubs = new Map<string, SessionStub>();

  constructor(private readonly env: Env) {}

  /** Resolves once the messages are stored in the session (a QoS 1/2 message queued for delivery, or sent). */
  async deliver(session: string, messages: Message[], mark?: DeliveryMark): Promise<void> {
    const stub = this.stub(session);
    try {
      await stub.deliverMessages(messages, mark);
    } catch (err) {
      if (this.stubs.get(session) === stub) this.stubs.delete(session);
      throw err;
    }
  }

  private stub(session: string): SessionStub {
    let stub = this.stubs.get(session);
    if (stub) return stub;
    const name = session.slice(2);
    if (session.startsWith("d:")) stub = this.env.DEVICE.get(this.env.DEVICE.idFromName(name));
    else if (session.startsWith("a:")) stub = this.env.APP_SESSION.get(this.env.APP_SESSION.idFromName(name));
    else if (session.startsWith("w:")) stub = this.env.WEBHOOK.get(this.env.WEBHOOK.idFromName(name));
    else throw new Error(`unknown session address ${session}`);
    if (this.stubs.size >= MAX_STUBS) this.stubs.delete(this.stubs.keys().next().value!);
    this.stubs.set(session, stub);
    return stub;
  }
}
