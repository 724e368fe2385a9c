/**
 * One measured round of MQTT traffic: publishers keep a window of messages in flight (QoS 1:
 * unacknowledged; QoS 0: not yet delivered), subscribers feed the tally, and the round ends when
 * its goal is met (all acked, or all delivered everywhere), stalls, or times out. CPU of the
 * broker and of this process is metered over exactly that window.
 */
import type { MqttClient } from "mqtt";
import type { Broker } from "./brokers";
import { cpuMeter } from "./cpu";
import type { Figure } from "./scenario";
import { stamp, type Tally } from "./tally";

/** A publisher: a connected client and the topic it publishes to. */
export interface Publisher {
  client: MqttClient;
  topic: string;
}

export interface RoundSpec {
  tally: Tally;
  pubs: readonly Publisher[];
  /** Subscribers, index = tally's subscriber number; with `shared`, one group counted as one subscriber. */
  subs: readonly MqttClient[];
  /** The subscribers are one shared subscription's members: each message is due once among them. */
  shared?: boolean;
  qos: 0 | 1;
  /** Messages each publisher keeps in flight. */
  inflight: number;
  /** The round's goal: every PUBACK, or every message at every subscriber. */
  goal: "acks" | "delivery";
  /** Ends the round when nothing was acked or delivered for this long (default 20 s). */
  stallMs?: number;
  /** Hard limit of the round (default 120 s). */
  timeoutMs?: number;
  /** After a stall or timeout, how long late deliveries may still arrive before counting loss (default 5 s). */
  drainMs?: number;
  /** Called about 4×/s with the tally, for the progress line. */
  onTick?: (t: Tally) => void;
}

export interface RoundResult {
  seconds: number;
  outcome: "done" | "stalled" | "timeout";
  brokerCpuSeconds: number;
  clientCpuSeconds: number;
  /** Umbra: CPU of wrangler's local dev proxy (its Node process and forwarding workerd), apart. */
  devProxyCpuSeconds?: number;
}

/** Starts metering the broker: its process tree, or this process when it runs here (Aedes). */
export function brokerMeter(broker: Broker): () => { seconds: number; brokerCpuSeconds: number; clientCpuSeconds: number; devProxyCpuSeconds?: number } {
  const read = cpuMeter(broker.pid);
  return () => {
    const r = read();
    if (broker.pid === undefined) return { seconds: r.seconds, brokerCpuSeconds: r.ownCpuSeconds, clientCpuSeconds: r.ownCpuSeconds };
    // Umbra's own CPU is its workerd runtime's (what Cloudflare bills); wrangler's dev proxy is apart.
    if (broker.name === "umbra") return { seconds: r.seconds, brokerCpuSeconds: r.runtimeCpuSeconds, devProxyCpuSeconds: r.treeCpuSeconds - r.runtimeCpuSeconds, clientCpuSeconds: r.ownCpuSeconds };
    return { seconds: r.seconds, brokerCpuSeconds: r.treeCpuSeconds, clientCpuSeconds: r.ownCpuSeconds };
  };
}

/** Runs one round against `broker`; see {@link RoundSpec}. */
export async function runRound(broker: Broker, spec: RoundSpec): Promise<RoundResult> {
  const { tally, qos, inflight } = spec;
  const handlers = spec.subs.map((sub, i) => {
    const h = (_topic: string, payload: Buffer) => tally.deliver(spec.shared ? 0 : i, payload);
    sub.on("message", h);
    return h;
  });
  const meter = brokerMeter(broker);
  let stopped = false;
  const sent = new Int32Array(spec.pubs.length);
  const open = new Int32Array(spec.pubs.length); // QoS 1: unacknowledged
  const pump = (p: number) => {
    const { client, topic } = spec.pubs[p];
    const window = () => (qos === 1 ? open[p] : sent[p] - Math.floor(tally.deliveredPerPub[p] / Math.max(1, tally.subs)));
    while (!stopped && sent[p] < tally.perPub && window() < inflight) {
      const s = sent[p]++;
      const at = performance.now();
      open[p]++;
      client.publish(topic, stamp(tally.round, p, s), { qos }, (err) => {
        open[p]--;
        tally.ack(p, s, at, err ?? undefined);
        if (qos === 1) pump(p);
      });
    }
  };
  if (qos === 0) tally.wake = pump;

  const outcome = await new Promise<RoundResult["outcome"]>((resolve) => {
    const stallMs = spec.stallMs ?? 20_000;
    const deadline = performance.now() + (spec.timeoutMs ?? 120_000);
    const watch = setInterval(() => {
      spec.onTick?.(tally);
      const now = performance.now();
      if (now > deadline) finish("timeout");
      else if (now - tally.lastEvent > stallMs) finish("stalled");
    }, 250);
    const finish = (o: RoundResult["outcome"]) => {
      clearInterval(watch);
      resolve(o);
    };
    tally.until(spec.goal === "acks" ? () => tally.allAcked() : () => tally.allDelivered(), () => finish("done"));
    for (let p = 0; p < spec.pubs.length; p++) pump(p);
  });
  stopped = true;
  const cpu = meter();
  const end = tally.doneAt ?? tally.lastEvent;
  if (outcome !== "done" && spec.goal === "delivery") {
    // Late deliveries of acknowledged messages are not lost, only slow.
    const until = performance.now() + (spec.drainMs ?? 5_000);
    while (!tally.allDelivered() && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
  }
  spec.subs.forEach((sub, i) => sub.removeListener("message", handlers[i]));
  tally.wake = undefined;
  return { seconds: Math.max(0.001, (end - tally.startedAt) / 1000), outcome, brokerCpuSeconds: cpu.brokerCpuSeconds, clientCpuSeconds: cpu.clientCpuSeconds, devProxyCpuSeconds: cpu.devProxyCpuSeconds };
}

/**
 * A figure from a finished round: `rate` = delivered or acknowledged messages per second
 * (deliveries count once per subscriber), latency = publish→deliver, or publish→PUBACK when
 * nothing was subscribed.
 */
export function roundFigure(name: string, metric: string, tally: Tally, r: RoundResult, opts: { delivered: boolean; lossAllowed?: boolean }): Figure {
  const messages = opts.delivered ? tally.received : tally.acked;
  const extra: Record<string, unknown> = {};
  // Acks that stop coming are a failure even where loss is not counted; QoS 0 may drop by contract.
  const incomplete = r.outcome !== "done" && !opts.lossAllowed && !tally.allAcked();
  if (r.outcome !== "done") Object.assign(extra, { outcome: r.outcome, expected: tally.expected * (opts.delivered ? tally.subs : 1), acked: tally.acked });
  return {
    case: name,
    metric,
    value: messages / r.seconds,
    messages,
    lost: opts.delivered ? tally.lost() : null,
    dup: tally.dup,
    errors: tally.errors + (incomplete ? 1 : 0),
    firstError: tally.firstError ?? (incomplete ? `round ${r.outcome}: ${tally.expected - tally.acked} of ${tally.expected} messages never acknowledged` : undefined),
    latency: (opts.delivered ? tally.latency : tally.ackLatency).summary(),
    brokerCpuSeconds: r.brokerCpuSeconds,
    clientCpuSeconds: r.clientCpuSeconds,
    devProxyCpuSeconds: r.devProxyCpuSeconds,
    lossAllowed: opts.lossAllowed,
    extra: Object.keys(extra).length ? extra : undefined,
  };
}
