/**
 * MQTT benchmark: a real Umbra hub (`wrangler dev`) against an in-memory Aedes broker in this
 * process, both over WebSocket on 127.0.0.1, driven by the same MQTT.js 3.1.1 clients at QoS 1.
 *
 * Cases, each with 4 and with 10 publishers sharing one message budget:
 * - `channel-qos1-<n>pub`: publishers send to `channels/<ch>/messages/bench`, one subscriber holds
 *   `channels/<ch>/messages/#` at QoS 1; rate = messages/s received by the subscriber, `lost` =
 *   messages the broker PUBACKed that never reached the subscriber (duplicates counted apart).
 *   A round ends when all arrived, or is cut off: `*_stalled` when every publish was acked and
 *   nothing arrived for 5 s (rated over the time it delivered), `*_timeout` after 60 s (then
 *   10 s more to drain before counting losses).
 * - `telemetry-qos1-puback-<n>pub`: publishers send `{"t":1}` to `devices/<id>/telemetry`
 *   (Umbra: a durable write in each device's object; Aedes: a topic nobody subscribes to);
 *   rate = PUBACKs/s.
 * Each publisher keeps at most INFLIGHT publishes unacknowledged. `*_cpu` is CPU used during
 * the measured window in cores: the whole hub process tree (wrangler + workerd) for Umbra, this
 * process (broker and clients together) for Aedes, this process (clients only) for `client_cpu`.
 * Prints one JSON line per case. Run with `npm run bench -- mqtt`. What-ifs via environment:
 * MQTT_BENCH_TOTAL, MQTT_BENCH_INFLIGHT, MQTT_BENCH_PUBS ("4,10"), MQTT_BENCH_TIMEOUT_MS,
 * MQTT_BENCH_VERBOSE=1 (progress on stderr).
 */
import { rmSync } from "node:fs";
import mqtt, { type MqttClient } from "mqtt";
import { cpuMeter } from "./lib/cpu";
import { startAedes, startUmbra, type Target } from "./lib/brokers";

/** A positive integer from the environment, else `fallback` (for quick what-ifs). */
function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}
const TOTAL = envInt("MQTT_BENCH_TOTAL", 4000); // messages per measured round, split evenly among the publishers
const WARMUP_PER_PUB = 25;
const INFLIGHT = envInt("MQTT_BENCH_INFLIGHT", 20); // unacknowledged publishes per publisher
const ROUND_TIMEOUT_MS = envInt("MQTT_BENCH_TIMEOUT_MS", 60_000);
const DRAIN_MS = 10_000;
// Deliveries to a busy subscriber can pause while publishers saturate the one workerd thread; only
// a long silence counts as loss.
const STALL_MS = Number(process.env.MQTT_BENCH_STALL_MS ?? 20_000);
/** MQTT_BENCH_VERBOSE=1: progress of each round on stderr, once a second. */
const VERBOSE = Boolean(process.env.MQTT_BENCH_VERBOSE);
const PUBLISHER_COUNTS = (process.env.MQTT_BENCH_PUBS ?? "4,10").split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0);
const MAX_PUBLISHERS = Math.max(...PUBLISHER_COUNTS);
const CHANNEL = "bench-ch";
const PAYLOAD_BYTES = 32;

// --- Clients -----------------------------------------------------------------------------

function connect(target: Target, id: string): Promise<MqttClient> {
  const client = mqtt.connect(target.url(id), {
    protocolVersion: 4,
    clientId: id,
    username: id,
    password: target.password(id),
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clean: true,
  });
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", (e) => {
      client.end(true);
      reject(new Error(`${target.name}: ${id} could not connect: ${e.message}`));
    });
  });
}

function endAll(clients: MqttClient[]): Promise<void> {
  return Promise.all(clients.map((c) => new Promise<void>((r) => c.end(false, {}, () => r())))).then(() => undefined);
}

/** A fixed-size payload naming the round, publisher and sequence number. */
function payload(round: number, pub: number, seq: number): Buffer {
  return Buffer.from(`${round}:${pub}:${seq}:`.padEnd(PAYLOAD_BYTES, "x"));
}

interface Outcome {
  done: number; // unique messages received (channel) or acknowledged (telemetry) within the window
  expected: number;
  /** Channel: acknowledged by the broker but never received, even after the drain. */
  lost: number;
  /** Timed out: never acknowledged by the broker (still in flight or never sent). */
  unacked: number;
  dup: number;
  errors: number;
  firstError?: string;
  seconds: number;
  timedOut: boolean;
  /** Every publish was settled and nothing more arrived for STALL_MS: the rest is gone. */
  stalled: boolean;
  ownCores: number;
  treeCores: number;
}

/**
 * Has `pubs` send `perPub` QoS 1 messages each, at most INFLIGHT unacknowledged per publisher.
 * With `sub`, completion = every message received by `sub`; without, every PUBACK. On a
 * timeout, publishing stops and the subscriber gets DRAIN_MS more to receive what was acked.
 */
function round(target: Target, roundId: number, pubs: { id: string; client: MqttClient }[], perPub: number,
  topicOf: (deviceId: string) => string, fixedBody: Buffer | undefined, sub: MqttClient | undefined): Promise<Outcome> {
  const expected = pubs.length * perPub;
  const seen = pubs.map(() => new Uint8Array(perPub));
  const acks = pubs.map(() => new Uint8Array(perPub));
  let received = 0;
  let acked = 0;
  let dup = 0;
  let errors = 0;
  let inflightTotal = 0;
  let firstError: string | undefined;
  let lastDone = 0;
  let lastAck = 0;
  let stopped = false;
  const meter = cpuMeter(target.brokerPid);
  const start = performance.now();

  return new Promise<Outcome>((resolve) => {
    let measured: Omit<Outcome, "lost" | "unacked" | "dup"> | null = null;
    const measure = (timedOut: boolean, stalled = false) => {
      if (measured) return;
      stopped = true;
      clearTimeout(timer);
      clearInterval(watchdog);
      // A stalled round is rated over the time it was still delivering.
      const end = timedOut || lastDone === 0 ? performance.now() : lastDone;
      const { ownCores, treeCores } = meter();
      measured = { done: sub ? received : acked, expected, errors, firstError, seconds: (end - start) / 1000, timedOut, stalled, ownCores, treeCores };
      if (!timedOut || !sub) return settle();
      const drainUntil = performance.now() + DRAIN_MS;
      const poll = setInterval(() => {
        if ((received >= acked && inflightTotal === 0) || performance.now() > drainUntil) {
          clearInterval(poll);
          settle();
        }
      }, 50);
    };
    const settle = () => {
      if (sub) sub.removeListener("message", onMessage);
      let lost = 0;
      if (sub) for (let p = 0; p < pubs.length; p++) for (let s = 0; s < perPub; s++) if (acks[p][s] && !seen[p][s]) lost++;
      if (measured) resolve({ ...measured, firstError, errors, lost, unacked: expected - acked, dup });
    };
    const timer = setTimeout(() => measure(true), ROUND_TIMEOUT_MS);
    const watchdog = setInterval(() => {
      const quietSince = Math.max(lastDone, lastAck);
      if (sub && acked + errors >= expected && performance.now() - quietSince > STALL_MS) measure(false, true);
    }, 250);
    if (VERBOSE) {
      const progress = setInterval(() => {
        if (measured) return clearInterval(progress);
        const t = ((performance.now() - start) / 1000).toFixed(1);
        console.error(`${target.name} round ${roundId} t=${t}s acked=${acked} received=${received} inflight=${inflightTotal} errors=${errors}`);
      }, 1000);
    }
    const check = () => {
      if (stopped) return;
      if (sub ? received >= expected : acked + errors >= expected) measure(false);
    };

    const onMessage = (_topic: string, body: Buffer) => {
      const [r, p, s] = body.toString("latin1").split(":", 3).map(Number);
      if (r !== roundId) return; // a late message from an earlier round
      const marks = seen[p];
      if (!marks || !(s >= 0 && s < perPub)) return;
      if (marks[s]) {
        dup++;
        return;
      }
      marks[s] = 1;
      received++;
      if (!stopped) lastDone = performance.now();
      check();
    };
    if (sub) sub.on("message", onMessage);

    pubs.forEach(({ id, client }, p) => {
      const topic = topicOf(id);
      let next = 0;
      let inflight = 0;
      const pump = () => {
        while (inflight < INFLIGHT && next < perPub && !stopped) {
          const seq = next++;
          inflight++;
          inflightTotal++;
          client.publish(topic, fixedBody ?? payload(roundId, p, seq), { qos: 1 }, (err) => {
            inflight--;
            inflightTotal--;
            if (err) {
              errors++;
              firstError ??= `${id}: ${err.message}`;
            } else {
              acked++;
              acks[p][seq] = 1;
              lastAck = performance.now();
              if (!sub && !stopped) lastDone = performance.now();
            }
            check();
            pump();
          });
        }
      };
      pump();
    });
  });
}

interface CaseResult {
  msgS: number;
  received: number;
  lost: number;
  unacked: number;
  dup: number;
  errors: number;
  firstError?: string;
  timedOut: boolean;
  stalled: boolean;
  ownCores: number;
  treeCores: number;
}

function summarize(o: Outcome): CaseResult {
  return {
    msgS: o.seconds > 0 ? o.done / o.seconds : 0,
    received: o.done,
    lost: o.lost,
    unacked: o.unacked,
    dup: o.dup,
    errors: o.errors,
    firstError: o.firstError,
    timedOut: o.timedOut,
    stalled: o.stalled,
    ownCores: o.ownCores,
    treeCores: o.treeCores,
  };
}

/** Connected clients for one target: a channel subscriber and MAX_PUBLISHERS publishers. */
interface Fleet {
  sub: MqttClient;
  pubs: { id: string; client: MqttClient }[];
}

let roundCounter = 0;

async function openFleet(target: Target, subId: string, pubIds: string[]): Promise<Fleet> {
  const sub = await connect(target, subId);
  await sub.subscribeAsync(`channels/${CHANNEL}/messages/#`, { qos: 1 });
  const clients = await Promise.all(pubIds.map((id) => connect(target, id)));
  return { sub, pubs: pubIds.map((id, i) => ({ id, client: clients[i] })) };
}

async function channelCase(target: Target, fleet: Fleet, n: number): Promise<CaseResult> {
  const pubs = fleet.pubs.slice(0, n);
  const topic = () => `channels/${CHANNEL}/messages/bench`;
  await round(target, ++roundCounter, pubs, WARMUP_PER_PUB, topic, undefined, fleet.sub);
  return summarize(await round(target, ++roundCounter, pubs, Math.floor(TOTAL / n), topic, undefined, fleet.sub));
}

async function telemetryCase(target: Target, fleet: Fleet, n: number): Promise<CaseResult> {
  const pubs = fleet.pubs.slice(0, n);
  const topic = (id: string) => `devices/${id}/telemetry`;
  const body = Buffer.from('{"t":1}');
  await round(target, ++roundCounter, pubs, WARMUP_PER_PUB, topic, body, undefined);
  return summarize(await round(target, ++roundCounter, pubs, Math.floor(TOTAL / n), topic, body, undefined));
}

// --- Run ---------------------------------------------------------------------------------
const round1 = (x: number) => Math.round(x);
const round2 = (x: number) => Math.round(x * 100) / 100;

function line(name: string, n: number, u: CaseResult, a: CaseResult, withLoss: boolean): void {
  const out: Record<string, unknown> = {
    bench: "mqtt",
    case: name,
    umbra_msg_s: round1(u.msgS),
    aedes_msg_s: round1(a.msgS),
    ratio: a.msgS > 0 ? round2(u.msgS / a.msgS) : null,
  };
  if (withLoss) {
    out.lost = u.lost;
    out.aedes_lost = a.lost;
    if (u.dup || a.dup) Object.assign(out, { umbra_dup: u.dup, aedes_dup: a.dup });
  }
  if (u.timedOut || a.timedOut || u.stalled || a.stalled) {
    // Cut off: how far each got, and how much was never acknowledged.
    Object.assign(out, {
      umbra_timeout: u.timedOut, aedes_timeout: a.timedOut, umbra_stalled: u.stalled, aedes_stalled: a.stalled,
      umbra_done: u.received, aedes_done: a.received, umbra_unacked: u.unacked, aedes_unacked: a.unacked,
    });
  }
  if (u.errors || a.errors) Object.assign(out, { umbra_errors: u.errors, aedes_errors: a.errors, first_error: u.firstError ?? a.firstError });
  Object.assign(out, {
    total: TOTAL - (TOTAL % n),
    inflight_per_pub: INFLIGHT,
    umbra_hub_cpu: round2(u.treeCores),
    client_cpu: round2(u.ownCores),
    aedes_cpu: round2(a.ownCores),
  });
  console.log(JSON.stringify(out));
}

/** Lines of the hub's output that look like trouble, for stderr. */
function hubTrouble(output: string): string[] {
  return output.split("\n").filter((l) => /error|exception|uncaught|✘/i.test(l)).slice(0, 20);
}

/** Relay against fast path: throughput, and hub CPU per 1,000 messages (the relay's cost). */
function relayLine(n: number, relay: CaseResult, direct: CaseResult | undefined): void {
  if (!direct) return;
  const perK = (c: CaseResult) => (c.msgS > 0 ? round2((c.treeCores / c.msgS) * 1000) : null);
  console.log(
    JSON.stringify({
      bench: "mqtt",
      case: `telemetry-relay-vs-direct-${n}pub`,
      relay_msg_s: round1(relay.msgS),
      direct_msg_s: round1(direct.msgS),
      ratio: direct.msgS > 0 ? round2(relay.msgS / direct.msgS) : null,
      relay_hub_cpu_ms_per_msg: perK(relay),
      direct_hub_cpu_ms_per_msg: perK(direct),
    }),
  );
}

async function main(): Promise<void> {
  const umbra = await startUmbra(CHANNEL, MAX_PUBLISHERS);
  const aedes = await startAedes();
  // A hard stop in case a client wedges outside the per-round timeouts.
  const guard = setTimeout(() => {
    console.error("mqtt bench: overall time limit reached; stopping");
    void umbra.hub.stop().finally(() => process.exit(1));
  }, 10 * 60_000);
  guard.unref();
  try {
    const aedesIds = Array.from({ length: MAX_PUBLISHERS }, (_, i) => `bench-pub-${i}`);
    const uFleet = await openFleet(umbra.target, umbra.subId, umbra.pubIds);
    const aFleet = await openFleet(aedes.target, "bench-sub", aedesIds);
    try {
      for (const n of PUBLISHER_COUNTS) {
        const u = await channelCase(umbra.target, uFleet, n);
        const a = await channelCase(aedes.target, aFleet, n);
        line(`channel-qos1-${n}pub`, n, u, a, true);
      }
      const direct = new Map<number, CaseResult>();
      for (const n of PUBLISHER_COUNTS) {
        const u = await telemetryCase(umbra.target, uFleet, n);
        const a = await telemetryCase(aedes.target, aFleet, n);
        direct.set(n, u);
        line(`telemetry-qos1-puback-${n}pub`, n, u, a, false);
      }
      // The same devices through the /mqtt relay (the Worker holds every socket and pipes it).
      await endAll([uFleet.sub, ...uFleet.pubs.map((p) => p.client)]);
      const relay: Target = { ...umbra.target, url: () => umbra.target.url("").replace(/\/mqtt\/$/, "/mqtt") };
      const rFleet = await openFleet(relay, umbra.subId, umbra.pubIds);
      try {
        for (const n of PUBLISHER_COUNTS) relayLine(n, await telemetryCase(relay, rFleet, n), direct.get(n));
      } finally {
        await endAll([rFleet.sub, ...rFleet.pubs.map((p) => p.client)]);
      }
    } finally {
      await endAll([aFleet.sub, ...aFleet.pubs.map((p) => p.client)]);
    }
  } finally {
    clearTimeout(guard);
    await aedes.close();
    const trouble = hubTrouble(umbra.hub.output());
    if (trouble.length) console.error(`wrangler reported:\n${trouble.join("\n")}`);
    await umbra.hub.stop();
    rmSync(umbra.dir, { recursive: true, force: true });
  }
}

await main();
