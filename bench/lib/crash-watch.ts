/**
 * The subscriber side of a crash run: an app with a persistent session (QoS 1) subscribed to the
 * run's telemetry (delivered by each device's object) and its channel (by a topic shard). Every
 * message a device had PUBACKed was written with its fan-out in one transaction, so it must reach this session after a kill -9 too, and at most once without DUP
 * (a resend of an unacknowledged PUBLISH carries DUP; a second copy without it is a hub bug).
 * Its small receive window keeps a queue in the session, so the crash also finds messages that
 * were leaving the queue when the hub died.
 */
import type { MqttClient } from "mqtt";
import type { MqttEndpoint } from "./brokers";
import { connectMqtt, endAll } from "./mqtt-clients";

/** What the subscriber saw, checked against what devices had acknowledged. */
export interface WatchReport {
  expected: number;
  received: number;
  missing: number;
  duplicates: number;
  excessDuplicates: number;
  sample: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TelemetryWatch {
  /** Copies seen per `<publishing device>#<seq>`: all of them, and those without DUP. */
  private readonly seen = new Map<string, { n: number; undup: number }>();
  private client: MqttClient | null = null;

  private constructor(
    private readonly ep: MqttEndpoint,
    private readonly run: string,
    private readonly window: number,
  ) {}

  /** Makes the persistent session and its subscription (`window`: its receive maximum); stays connected to take messages. */
  static async start(ep: MqttEndpoint, run: string, channel: string, window: number): Promise<TelemetryWatch> {
    const watch = new TelemetryWatch(ep, run, window);
    await watch.connect();
    await watch.client!.subscribeAsync(["devices/+/telemetry", `channels/${channel}/messages/+`], { qos: 1 });
    return watch;
  }

  /** Connects again to the same session (after a restart: what was queued follows). */
  async connect(): Promise<void> {
    if (this.client) await endAll([this.client], true);
    // MQTT 5 with a small window: most messages wait in the session's queue and leave when a PUBACK frees room.
    const opts = { clean: false, protocolVersion: 5, properties: { receiveMaximum: this.window, sessionExpiryInterval: 3600 } } as const;
    this.client = await connectMqtt(this.ep, opts, (topic, payload, packet) => this.take(topic, payload, packet.dup));
  }

  private take(topic: string, payload: Buffer, dup: boolean): void {
    let data: { c?: unknown; s?: unknown; data?: unknown };
    try {
      data = JSON.parse(payload.toString()) as typeof data;
    } catch {
      return;
    }
    // Telemetry sent over the JSON WebSocket (or HTTP, CoAP) goes out as its stored row, `{ts, data}`.
    if (typeof data.data === "object" && data.data !== null) data = data.data as typeof data;
    if (data.c !== this.run || typeof data.s !== "number") return;
    // devices/<id>/telemetry or channels/<channel>/messages/<id>
    const levels = topic.split("/");
    const key = `${levels[0] === "channels" ? levels[3] : levels[1]}#${data.s}`;
    const e = this.seen.get(key) ?? { n: 0, undup: 0 };
    e.n++;
    if (!dup) e.undup++;
    this.seen.set(key, e);
  }

  /** Waits (up to `waitMs`) for every acknowledged message, then a little for late copies, and reports. */
  async report(acked: ReadonlyMap<string, ReadonlySet<number>>, waitMs: number): Promise<WatchReport> {
    const keys = [...acked].flatMap(([id, seqs]) => [...seqs].map((s) => `${id}#${s}`));
    for (const until = Date.now() + waitMs; keys.some((k) => !this.seen.has(k)) && Date.now() < until; ) await sleep(100);
    await sleep(500);
    if (this.client) await endAll([this.client], true);
    const out: WatchReport = { expected: keys.length, received: 0, missing: 0, duplicates: 0, excessDuplicates: 0, sample: [] };
    for (const k of keys) {
      const e = this.seen.get(k);
      if (e) out.received++;
      else {
        out.missing++;
        if (out.sample.length < 10) out.sample.push(`${k} never reached the subscriber`);
      }
    }
    for (const [k, e] of this.seen) {
      out.duplicates += e.n - 1;
      out.excessDuplicates += Math.max(0, e.undup - 1);
      if (e.undup > 1 && out.sample.length < 10) out.sample.push(`${k} arrived ${e.undup} times without DUP`);
    }
    return out;
  }
}
