/** MQTT.js clients against the running hub, and a message collector. */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { apiJson, hubUrl } from "./client";

/** Connects MQTT.js unmodified: only URL, client id, username and password are Umbra's. */
export function connectMqtt(path: string, opts: IClientOptions & { base?: string }): Promise<MqttClient> {
  const url = `${(opts.base ?? hubUrl()).replace(/^http/, "ws")}${path}`;
  // mosquitto-style: user name = client id = device id, password = token.
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, username: opts.clientId, ...opts });
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", (e) => {
      client.end(true);
      reject(e);
    });
  });
}

/** Collects messages by topic; `waitFor` resolves when `n` messages arrived on a topic. */
export class Inbox {
  readonly messages: { topic: string; payload: string; qos: number; retain: boolean }[] = [];
  constructor(client: MqttClient) {
    client.on("message", (topic, payload, packet) => this.messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
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
