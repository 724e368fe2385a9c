/**
 * A real MQTT.js client against the codec + session, in process: MQTT.js writes
 * every packet field as its own chunk, as it does over WebSockets. The host
 * below is the smallest faithful one: it applies results in order, keeps
 * retained messages, and loops published messages back to the same session.
 */
import { MqttClient, type IClientOptions } from "mqtt";
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { MqttStream } from "./codec";
import { MqttProtocolError } from "./errors";
import { topicMatches } from "./topics";
import {
  connect,
  connectionLost,
  createSession,
  deliver,
  handlePacket,
  protocolError,
  type AuthResult,
  type Message,
  type SessionResult,
  type SessionState,
} from "./session";
import { CTX } from "./session.fixtures";

class Host {
  state: SessionState = createSession("d1");
  retained = new Map<string, Message>();
  auth: AuthResult = { ok: true };
  #socket: Duplex | null = null;
  #stream = new MqttStream();

  /** A new client connection: a duplex whose writes reach this host. */
  open(): Duplex {
    this.#stream = new MqttStream();
    const socket: Duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, done) => {
        if (this.#socket === socket) this.#receive(new Uint8Array(chunk));
        done();
      },
      destroy: (err, done) => {
        if (this.#socket === socket) {
          this.#socket = null;
          this.apply(connectionLost(this.state, Date.now()));
        }
        done(err);
      },
    });
    this.#socket = socket;
    return socket;
  }

  #receive(bytes: Uint8Array): void {
    let packets;
    try {
      packets = this.#stream.push(bytes);
    } catch (e) {
      if (!(e instanceof MqttProtocolError)) throw e;
      this.apply(protocolError(this.state, e, Date.now()));
      return;
    }
    for (const p of packets) {
      const now = Date.now();
      this.apply(p.type === "connect" ? connect(this.state, p, this.auth, CTX, now) : handlePacket(this.state, p, CTX, now));
    }
  }

  apply(r: SessionResult): void {
    this.state = r.state;
    const send = (p: Parameters<MqttStream["encode"]>[0]) => this.#socket?.push(this.#stream.encode(p));
    r.out.forEach(send);
    for (const e of r.effects) {
      switch (e.type) {
        case "publish":
          if (e.message.retain) this.retained.set(e.message.topic, e.message);
          if (e.ack) send(e.ack);
          // a QoS 2 resend: this hub routed it the first time, and does not again
          if (e.resent) break;
          // fan-out: this hub has one session, so deliver back to it
          queueMicrotask(() => this.apply(deliver(this.state, e.message, CTX, Date.now())));
          break;
        case "deliverRetained":
          for (const m of this.retained.values()) {
            if (topicMatches(e.filter, m.topic)) this.apply(deliver(this.state, m, CTX, Date.now(), { retainedFor: e.filter }));
          }
          break;
        case "close": {
          const socket = this.#socket;
          this.#socket = null;
          socket?.push(null);
          break;
        }
        case "dropped":
        case "sessionEnded":
          break;
      }
    }
  }
}

const clients: MqttClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});

function client(host: Host, options: IClientOptions): MqttClient {
  const c = new MqttClient(() => host.open(), { clientId: "d1", username: "d1", password: "secret", reconnectPeriod: 0, keepalive: 30, ...options });
  c.on("error", () => {});
  clients.push(c);
  return c;
}

const connected = (c: MqttClient) => new Promise<void>((resolve, reject) => {
  c.once("connect", () => resolve());
  c.once("error", reject);
});

function messages(c: MqttClient, n: number): Promise<{ topic: string; payload: string; qos: number; retain: boolean }[]> {
  const got: { topic: string; payload: string; qos: number; retain: boolean }[] = [];
  return new Promise((resolve) => {
    c.on("message", (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
      if (got.length === n) resolve(got);
    });
  });
}

describe.each([4, 5] as const)("MQTT.js %i against the session", (protocolVersion) => {
  it("connects, subscribes, publishes QoS 0/1/2 and gets them back", async () => {
    const host = new Host();
    const c = client(host, { protocolVersion });
    await connected(c);
    const granted = await c.subscribeAsync("channels/c1/messages/#", { qos: 2 });
    expect(granted[0].qos).toBe(2);
    const got = messages(c, 3);
    await Promise.all([0, 1, 2].map((qos) => c.publishAsync(`channels/c1/messages/q${qos}`, `m${qos}`, { qos: qos as 0 | 1 | 2 })));
    const received = await got;
    expect(received.sort((a, b) => a.qos - b.qos)).toEqual([0, 1, 2].map((qos) => ({ topic: `channels/c1/messages/q${qos}`, payload: `m${qos}`, qos, retain: false })));
    expect(host.state.inflight).toEqual([]);
    expect(host.state.awaitingRelease).toEqual([]);
  });

  it("refuses another device's topics in SUBACK", async () => {
    const host = new Host();
    const c = client(host, { protocolVersion });
    await connected(c);
    const suback = new Promise<unknown>((resolve) => c.on("packetreceive", (p) => p.cmd === "suback" && resolve(p)));
    c.subscribe(["devices/d1/commands/#", "devices/d2/commands/#"], { qos: 1 }, () => {});
    expect(await suback).toMatchObject({ granted: [1, protocolVersion === 5 ? 0x87 : 0x80] });
  });

  it("sends retained messages to a new subscription with RETAIN set", async () => {
    const host = new Host();
    const c = client(host, { protocolVersion });
    await connected(c);
    await c.publishAsync("channels/c1/messages/state", "on", { qos: 1, retain: true });
    const got = messages(c, 1);
    await c.subscribeAsync("channels/c1/messages/+", { qos: 1 });
    expect(await got).toEqual([{ topic: "channels/c1/messages/state", payload: "on", qos: 1, retain: true }]);
  });

  it("rejects bad credentials with the CONNACK code MQTT.js understands", async () => {
    const host = new Host();
    host.auth = { ok: false, reason: "bad-credentials" };
    const c = client(host, { protocolVersion });
    const error = await new Promise<Error & { code?: number }>((resolve) => c.once("error", resolve));
    expect(error.code).toBe(protocolVersion === 5 ? 0x86 : 5);
  });

  it("delivers what was queued while a persistent session was offline", async () => {
    const host = new Host();
    const persistent: IClientOptions = protocolVersion === 5 ? { protocolVersion, clean: false, properties: { sessionExpiryInterval: 600 } } : { protocolVersion, clean: false };
    const first = client(host, persistent);
    await connected(first);
    await first.subscribeAsync("devices/d1/commands/#", { qos: 1 });
    await first.endAsync();
    expect(host.state).toMatchObject({ connected: false, exists: true });
    host.apply(deliver(host.state, { topic: "devices/d1/commands/reboot", payload: new TextEncoder().encode("now"), qos: 1, retain: false }, CTX, Date.now()));
    expect(host.state.queue).toHaveLength(1);
    const second = client(host, persistent);
    const got = messages(second, 1);
    await connected(second);
    expect(await got).toEqual([{ topic: "devices/d1/commands/reboot", payload: "now", qos: 1, retain: false }]);
  });
});

it("MQTT.js 5 with automatic topic aliases", async () => {
  const host = new Host();
  const c = client(host, { protocolVersion: 5, autoAssignTopicAlias: true });
  const sentTopics: string[] = [];
  c.on("packetsend", (p) => p.cmd === "publish" && sentTopics.push(p.topic));
  await connected(c);
  await c.subscribeAsync("channels/c1/messages/#", { qos: 1 });
  const got = messages(c, 3);
  for (const n of [1, 2, 3]) await c.publishAsync("channels/c1/messages/alias", `n${n}`, { qos: 1 });
  expect((await got).map((m) => [m.topic, m.payload])).toEqual([1, 2, 3].map((n) => ["channels/c1/messages/alias", `n${n}`]));
  expect(sentTopics).toEqual(["channels/c1/messages/alias", "", ""]);
  expect(Object.values(host.state.topicAliases)).toEqual(["channels/c1/messages/alias"]);
});
