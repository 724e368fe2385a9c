/**
 * MQTT sessions by address, as shards and publishers name them: `d:<deviceId>` is a device's
 * session in its DeviceObject, `a:<name>` an app's (or an anonymous client's) session in its
 * AppSessionObject. Both objects take a batch of messages the same way.
 */
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";

/** The address of a device's session. */
export const deviceSession = (deviceId: string): string => `d:${deviceId}`;

/** The address of an app session (object name `<owner>/<clientId>`). */
export const appSession = (name: string): string => `a:${name}`;

/** The address of a webhook (its object turns messages into signed HTTP POSTs). */
export const webhookSession = (webhookId: string): string => `w:${webhookId}`;

/**
 * Hands a batch of messages to a session's object; resolves once they are stored in the
 * session (a QoS 1/2 message queued for delivery, or sent).
 */
export async function deliverToSession(env: Env, session: string, messages: Message[]): Promise<void> {
  const name = session.slice(2);
  if (session.startsWith("d:")) await env.DEVICE.get(env.DEVICE.idFromName(name)).deliverMessages(messages);
  else if (session.startsWith("a:")) await env.APP_SESSION.get(env.APP_SESSION.idFromName(name)).deliverMessages(messages);
  else if (session.startsWith("w:")) await env.WEBHOOK.get(env.WEBHOOK.idFromName(name)).deliverMessages(messages);
  else throw new Error(`unknown session address ${session}`);
}
