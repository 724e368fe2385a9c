/** MQTT.js clients against the running hub, and a message collector. */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { apiJson, hubUrl } from "./client";

type Received = { topic: string; payload: string; qos: number; retain: boolean; dup: boolean; correlationData?: string };
type ReceivedPacket = { qos: number; retain: boolean; dup?: boolean; properties?: { correlationData?: Buffer } };

/**
 * Messages that came in the same read as the CONNACK: a persistent session's queue follows its
 * CONNACK at once, and MQTT.js emits them (and acknowledges them) before the promise of
 * {@link connectMqtt} resolves, so a listener added after `await` would never see them.
 * {@link Inbox} starts with these.
 */
const withConnack = new WeakMap<MqttClient, Received[]>();

const received = (topic: string, payload: Buffer, packet: ReceivedPacket): Received => ({
  topic,
  payload: payload.toString(),
  qos: packet.qos,
  retain: packet.retain,
  dup: packet.dup === true,
  ...(packet.properties?.correlationData ? { correlationData: packet.properties.correlationData.toString() } : {}),
});

/** Publishes at QoS 1 and resolves with the PUBACK's reason code (0 for success, or 3.1.1), or the error's. */
export function publishCode(c: MqttClient, topic: string, payload: string): Promise<number> {
  return new Promise((resolve) =>
    c.publish(topic, payload, { qos: 1 }, (e, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? (e as { code?: number } | null)?.code ?? 0)),
  );
}

/** Connects MQTT.js unmodified: only URL, client id, username and password are Umbra's. */
export function connectMqtt(path: string, opts: IClientOptions & { base?: string }): Promise<MqttClient> {
  const url = `${(opts.base ?? hubUrl()).replace(/^http/, "ws")}${path}`;
  // mosquitto-style: user name = client id = device id, password = token.
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, username: opts.clientId, ...opts });
  const early: Received[] = [];
  const record = (topic: string, payload: Buffer, packet: ReceivedPacket) => early.push(received(topic, payload, packet));
  client.on("message", record);
  withConnack.set(client, early);
  return new Promise((resolve, reject) => {
    client.once("connect", () => {
      resolve(client);
      setTimeout(() => client.off("message", record), 0);
    });
    client.once("error", (e) => {
      client.end(true);
      reject(e);
    });
  });
}

/** Collects messages by topic (from those that came with the CONNACK on); `waitFor` resolves when `n` arrived on a topic. */
export class Inbox {
  readonly messages: Received[] = [];
  constructor(client: MqttClient) {
    this.messages.push(...(withConnack.get(client)?.splice(0) ?? []));
    client.on("message", (topic, payload, packet) => this.messages.push(received(topic, payload, packet)));
  }
  on(topic: string) {
    return this.messages.filter((m) => m.topic === topic);
  }
  async waitFor(topic: string, n = 1, ms = 10_000) {
    const until = Date.now() + ms;
    while (this.on(topic).length < n) {
      if (Date.now() > until) throw new Error(`only ${this.on(topic).length}/${n} on ${topic}; got ${JSON.stringify(this.messages.map((m) => m.topic))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.on(topic);
  }
}

/** Creates a channel and connects the given devices to it. */
export async function channelWith(id: string, deviceIds: string[], base?: string, token?: string): Promise<void> {
  await apiJson("POST", "/v1/channels", 201, { body: { id }, base, token });
  for (const d of deviceIds) await apiJson("PUT", `/v1/channels/${id}/devices/${d}`, 204, { base, token });
}
