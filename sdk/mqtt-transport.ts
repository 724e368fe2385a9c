/**
 * A device over MQTT 5 (or 3.1.1) on WebSockets with MQTT.js, the AWS shadow topics and the
 * issue-10 command and method topics. The session is persistent (clean=false; MQTT 5 with a
 * session expiry), so a reconnect resumes it: the hub keeps the subscriptions and redelivers
 * unacknowledged QoS 1 messages, and MQTT.js resends our own. `Device` drives reconnects
 * (MQTT.js's fixed-period timer is off) so they back off with jitter.
 */
import mqtt from "mqtt";
import type { IClientOptions, IConnackPacket, IPublishPacket, MqttClient } from "mqtt";
import { ClosedError, ConnectError, HubRefusedError, ShadowRejectedError } from "./errors";
import type { JsonObject, JsonValue } from "./messages";
import { isObject } from "./messages";
import { classifyTopic, commandResultTopic, deviceSubscriptions, methodResponseTopic, shadowPrefix } from "./mqtt-topics";
import { PendingCalls } from "./pending";
import { socketUrl } from "./socket";
import type { Transport, TransportEvents } from "./transport";

/** Settings of an MQTT transport. */
export interface MqttTransportOptions {
  url: string;
  deviceId: string;
  token: string;
  events: TransportEvents;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  /** 5 (default) or 4 (3.1.1). */
  protocolVersion: 4 | 5;
  /** How long the hub keeps the session after a disconnect (MQTT 5), seconds. */
  sessionExpirySeconds: number;
  keepaliveSeconds: number;
}

/** CONNACK codes that refuse the client for good: 3.1.1 2, 4, 5; MQTT 5 0x85–0x87, 0x8C. */
const REFUSED = new Set([2, 4, 5, 0x85, 0x86, 0x87, 0x8c]);
/**
 * DISCONNECT reasons after which reconnecting cannot help: 0x8E session taken over, 0x87
 * credential revoked or expired, 0x98 device disabled or deleted.
 */
const FINAL_DISCONNECT = new Set([0x8e, 0x87, 0x98]);

const text = (b: Uint8Array | undefined): string => (b === undefined ? "" : new TextDecoder().decode(b));

/** One device over MQTT. */
export class MqttTransport implements Transport {
  private client: MqttClient | null = null;
  private connected = false;
  private closed = false;
  private seq = 0;
  private finalReason: string | null = null;
  private readonly reports = new PendingCalls<number, null>("shadow report");

  constructor(private readonly o: MqttTransportOptions) {}

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("the device was closed"));
    const client = this.client ?? this.create();
    // Later attempts keep the same stores, so unacknowledged publishes are resent, not lost.
    if (client !== this.client) this.client = client;
    else client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        client.off("connect", onConnect);
        client.off("error", onError);
        client.off("close", onClose);
      };
      const onConnect = (connack: IConnackPacket) => {
        done();
        this.connected = true;
        this.finalReason = null;
        // A persistent session still holds the subscriptions; a new one needs them again.
        const subscribed = connack.sessionPresent ? Promise.resolve() : this.subscribe(client);
        subscribed.then(() => this.askDelta(), (e: unknown) => this.o.events.error(e instanceof Error ? e : new Error(String(e))));
        resolve();
      };
      const onError = (e: Error & { code?: number }) => {
        if (typeof e.code === "number" && REFUSED.has(e.code)) {
          done();
          reject(new ConnectError(`the hub refused the connection: ${e.message}`, true, e.code));
        }
      };
      const onClose = () => {
        done();
        reject(new ConnectError("the connection closed before CONNACK", false));
      };
      client.on("connect", onConnect);
      client.on("error", onError);
      client.on("close", onClose);
    });
  }

  report(shadow: string, state: JsonObject): Promise<number> {
    const clientToken = `r${++this.seq}`;
    const done = this.reports.add(clientToken, null, this.o.ackTimeoutMs);
    this.publish(`${shadowPrefix(this.o.deviceId, shadow)}/update`, { state: { reported: state }, clientToken }).catch((e: unknown) =>
      this.reports.reject(clientToken, e instanceof Error ? e : new Error(String(e))),
    );
    return done;
  }

  telemetry(data: JsonObject, ts: number | undefined): Promise<void> {
    return this.publish(`devices/${this.o.deviceId}/telemetry`, ts === undefined ? { data } : { data, ts });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reports.rejectAll(new ClosedError("the device was closed"));
    const c = this.client;
    if (c === null) return;
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
  }

  private create(): MqttClient {
    const o = this.o;
    const options: IClientOptions = {
      clientId: o.deviceId,
      username: o.deviceId,
      password: o.token,
      protocolVersion: o.protocolVersion,
      clean: false,
      keepalive: o.keepaliveSeconds,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: o.sessionExpirySeconds } } : {}),
    };
    const client = mqtt.connect(socketUrl(o.url, `/mqtt/${encodeURIComponent(o.deviceId)}`), options);
    client.on("message", (topic, payload, packet) => this.receive(topic, payload, packet));
    client.on("disconnect", (packet) => {
      if (packet.reasonCode !== undefined && FINAL_DISCONNECT.has(packet.reasonCode)) this.finalReason = `DISCONNECT 0x${packet.reasonCode.toString(16)}`;
    });
    client.on("close", () => {
      if (!this.connected) return;
      this.connected = false;
      if (!this.closed) this.o.events.drop({ permanent: this.finalReason !== null, message: this.finalReason ?? "the connection closed" });
    });
    // MQTT.js emits errors it also reports otherwise (CONNACK codes, closes); an unheard 'error' would throw.
    client.on("error", () => {});
    return client;
  }

  /**
   * Subscribes group by group, so a filter the hub refuses (a policy without methods, say) costs
   * only its group: MQTT.js fails a whole SUBSCRIBE when any of its filters is refused.
   */
  private async subscribe(client: MqttClient): Promise<void> {
    const refused: string[] = [];
    await Promise.all(
      deviceSubscriptions(this.o.deviceId).map((topics) =>
        client.subscribeAsync(topics, { qos: 1 }).then(
          (granted) => refused.push(...granted.filter((g) => g.qos >= 0x80).map((g) => g.topic)),
          () => refused.push(...topics),
        ),
      ),
    );
    if (refused.length) this.o.events.error(new HubRefusedError("subscribe_refused", `the hub refused subscriptions: ${refused.join(", ")}`));
  }

  /** The hub pushes no delta on an MQTT connect (AWS does not either): ask for the shadow. */
  private askDelta(): void {
    this.publish(`${shadowPrefix(this.o.deviceId, "")}/get`, { clientToken: `g${++this.seq}` }).catch(() => {});
  }

  private publish(topic: string, body: JsonValue, properties?: IClientOptions["properties"] & object): Promise<void> {
    const c = this.client;
    if (c === null || this.closed) return Promise.reject(new ClosedError("the device was closed"));
    return new Promise((resolve, reject) => {
      c.publish(topic, JSON.stringify(body), { qos: 1, ...(properties ? { properties } : {}) }, (err) => {
        if (err) reject(new HubRefusedError("puback", err.message));
        else resolve();
      });
    });
  }

  private receive(topic: string, payload: Uint8Array, packet: IPublishPacket): void {
    const what = classifyTopic(this.o.deviceId, topic);
    if (what.kind === "other") return;
    let body: unknown = null;
    try {
      body = payload.length ? JSON.parse(text(payload)) : null;
    } catch {
      if (what.kind !== "command" && what.kind !== "method") return;
      body = text(payload); // a command may carry any payload; give it as text
    }
    switch (what.kind) {
      case "delta":
        if (isObject(body) && isObject(body.state) && Object.keys(body.state).length > 0) this.o.events.delta(what.shadow, body.state, Number(body.version));
        return;
      case "accepted":
      case "rejected":
        return this.answer(what, body);
      case "command":
      case "method":
        return this.request(what.kind, what.name, what.id, body as JsonValue, packet);
    }
  }

  private answer(what: { kind: "accepted" | "rejected"; shadow: string; op: "get" | "update" }, body: unknown): void {
    if (!isObject(body)) return;
    const token = typeof body.clientToken === "string" ? body.clientToken : undefined;
    if (what.op === "get") {
      const state = isObject(body.state) ? body.state : {};
      if (what.kind === "accepted" && token?.startsWith("g") && isObject(state.delta) && Object.keys(state.delta).length > 0) {
        this.o.events.delta(what.shadow, state.delta, Number(body.version));
      }
      return;
    }
    if (token === undefined) return;
    if (what.kind === "accepted") this.reports.resolve(token, Number(body.version));
    else this.reports.reject(token, new ShadowRejectedError(Number(body.code), String(body.message ?? "rejected")));
  }

  private request(kind: "command" | "method", name: string, topicId: string | null, payload: JsonValue, packet: IPublishPacket): void {
    const props = packet.properties;
    const userId = props?.userProperties?.[kind === "command" ? "command-id" : "request-id"];
    const id = topicId ?? (props?.correlationData ? text(props.correlationData) : typeof userId === "string" ? userId : null);
    if (id === null) {
      this.o.events.error(new HubRefusedError("no_id", `a ${kind} on ${name} came without an id`));
      return;
    }
    const responseTopic = props?.responseTopic;
    const echo = props?.correlationData ? { correlationData: props.correlationData } : undefined;
    if (kind === "command") {
      this.o.events.command({ id, name, payload }, (status, result) => {
        this.publish(responseTopic ?? commandResultTopic(this.o.deviceId, id), { status, result }, echo).catch(() => {});
      });
    } else {
      this.o.events.method({ id, name, payload }, (status, answer) => {
        this.publish(responseTopic ?? methodResponseTopic(this.o.deviceId, id), { status, payload: answer }, echo).catch(() => {});
      });
    }
  }
}
