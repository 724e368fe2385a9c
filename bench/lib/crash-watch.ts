/**
 * The subscriber side of a crash run: an app with a persistent session (QoS 1) subscribed to the
 * run's telemetry (delivered by each device's object) and its channel (by a topic shard). Every
 * message a device had PUBACKed was written with its fan-out in one transaction, so it must reach this session after a kill -9 too, and at most once without DUP
 * (a resend of an unacknowledged PUBLISH carries DUP; a second copy without it is a hub bug).
 * Its small receive window keeps a queue in the session, so the crash also finds messages that
 * were leaving the queue when the hub died. With several members, the sessions subscribe as one
 * shared group (`$share/<run>/…`): each message must reach the group, and no member twice
 * without DUP (a row still undelivered when the hub died goes to whoever's turn it is after, so
 * another member may get a message once more: QoS 1 allows it, and `spread` counts it).
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
  /** Acknowledged messages that reached more than one member of a shared group. */
  spread: number;
  /** Acknowledged messages each member received (one entry without a group). */
  perMember: number[];
  sample: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TelemetryWatch {
  /** Copies seen per `<publishing device>#<seq>`, per member: all of them, and those without DUP. */
  private readonly seen = new Map<string, { n: number; undup: number }[]>();
  private clients: (MqttClient | null)[];

  private constructor(
    private readonly eps: readonly MqttEndpoint[],
    private readonly run: string,
    private readonly window: number,
  ) {
    this.clients = eps.map(() => null);
  }

  /**
   * Makes the persistent sessions and their subscriptions (`window`: each one's receive maximum; more
   * than one endpoint: a shared group); they stay connected to take messages.
   */
  static async start(eps: readonly MqttEndpoint[], run: string, channel: string, window: number): Promise<TelemetryWatch> {
    const watch = new TelemetryWatch(eps, run, window);
    await watch.connect();
    const prefix = eps.length > 1 ? `$share/${run}/` : "";
    for (const c of watch.clients) await c!.subscribeAsync([`${prefix}devices/+/telemetry`, `${prefix}channels/${channel}/messages/+`], { qos: 1 });
    return watch;
  }

  /** Connects again to the same sessions (after a restart: what was queued follows). */
  async connect(): Promise<void> {
    await endAll(this.clients.filter((c) => c !== null), true);
    // MQTT 5 with a small window: most messages wait in the session's queue and leave when a PUBACK frees room.
    const opts = { clean: false, protocolVersion: 5, properties: { receiveMaximum: this.window, sessionExpiryInterval: 3600 } } as const;
    this.clients = await Promise.all(this.eps.map((ep, member) => connectMqtt(ep, opts, (topic, payload, packet) => this.take(member, topic, payload, packet.dup))));
  }

  private take(member: number, topic: string, payload: Buffer, dup: boolean): void {
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
    let copies = this.seen.get(key);
    if (!copies) this.seen.set(key, (copies = this.eps.map(() => ({ n: 0, undup: 0 }))));
    copies[member]!.n++;
    if (!dup) copies[member]!.undup++;
  }

  /** Waits (up to `waitMs`) for every acknowledged message, then a little for late copies, and reports. */
  async report(acked: ReadonlyMap<string, ReadonlySet<number>>, waitMs: number): Promise<WatchReport> {
    const keys = [...acked].flatMap(([id, seqs]) => [...seqs].map((s) => `${id}#${s}`));
    for (const until = Date.now() + waitMs; keys.some((k) => !this.seen.has(k)) && Date.now() < until; ) await sleep(100);
    await sleep(500);
    await endAll(this.clients.filter((c) => c !== null), true);
    const out: WatchReport = { expected: keys.length, received: 0, missing: 0, duplicates: 0, excessDuplicates: 0, spread: 0, perMember: this.eps.map(() => 0), sample: [] };
    for (const k of keys) {
      const copies = this.seen.get(k);
      if (copies) {
        out.received++;
        const members = copies.map((e, member) => (e.n > 0 ? member : -1)).filter((m) => m >= 0);
        for (const m of members) out.perMember[m]!++;
        if (members.length > 1) out.spread++;
      } else {
        out.missing++;
        if (out.sample.length < 10) out.sample.push(`${k} never reached the subscriber`);
      }
    }
    for (const [k, copies] of this.seen) {
      out.duplicates += copies.reduce((a, e) => a + e.n, 0) - 1;
      copies.forEach((e, member) => {
        out.excessDuplicates += Math.max(0, e.undup - 1);
        if (e.undup > 1 && out.sample.length < 10) out.sample.push(`${k} arrived ${e.undup} times without DUP${copies.length > 1 ? ` at member ${member}` : ""}`);
      });
    }
    return out;
  }
}
