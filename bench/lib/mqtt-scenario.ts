/**
 * The shape every MQTT scenario shares: provision and connect clients, run warm-up rounds until
 * the broker delivers (Umbra's fleet index reaches device objects within seconds), then one
 * measured round, reported as a {@link Figure}.
 */
import type { MqttClient } from "mqtt";
import type { Args } from "./args";
import type { Broker } from "./brokers";
import { connectAll, endAll } from "./mqtt-clients";
import { roundFigure, runRound, type Publisher, type RoundSpec } from "./mqtt-round";
import type { Progress } from "./progress";
import type { Figure } from "./scenario";
import { Tally } from "./tally";

let roundCounter = Math.floor(Math.random() * 1e6) * 100;
/** A round number no earlier run of this process used (stale deliveries are ignored by number). */
export const nextRound = () => ++roundCounter;

/** `n` ids with a prefix: `bench-fanin-0`, … */
export const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Default sizes of a scenario, each overridable on the command line. */
export interface Sizes {
  messages: number;
  inflight: number;
}

/** `--messages` and `--inflight`, with a scenario's defaults. */
export function sizes(args: Args, defaults: Sizes): Sizes {
  return { messages: Math.max(1, Math.round(args.num("messages", defaults.messages))), inflight: Math.max(1, Math.round(args.num("inflight", defaults.inflight))) };
}

/** What a scenario hands to {@link measureRound}. */
export interface RoundPlan {
  case: string;
  metric: string;
  pubs: readonly Publisher[];
  subs: readonly MqttClient[];
  qos: 0 | 1;
  inflight: number;
  perPub: number;
  goal: RoundSpec["goal"];
  lossAllowed?: boolean;
  /** `subs` are one shared subscription's members (see RoundSpec). */
  shared?: boolean;
}

/**
 * Warm-up rounds (one message per publisher, up to `warmups` times until a round completes),
 * then the measured round. Returns the figure and the measured tally (for storage checks).
 */
export async function measureRound(broker: Broker, progress: Progress, plan: RoundPlan, warmups = 8): Promise<{ figure: Figure; tally: Tally }> {
  // A shared group is one subscriber: each message is due once among its members.
  const subscribers = plan.shared ? 1 : plan.subs.length;
  const spec = (tally: Tally, stallMs: number): RoundSpec => ({
    tally, pubs: plan.pubs, subs: plan.subs, shared: plan.shared, qos: plan.qos, inflight: plan.inflight, goal: plan.goal, stallMs,
    onTick: (t) => progress.set(`${broker.name} ${plan.case}: acked ${t.acked}/${t.expected} delivered ${t.received}/${t.expected * t.subs}`),
  });
  for (let w = 0; w < warmups; w++) {
    const tally = new Tally(nextRound(), plan.pubs.length, 1, subscribers);
    progress.set(`${broker.name} ${plan.case}: warm-up ${w + 1}`);
    const r = await runRound(broker, { ...spec(tally, 3_000), drainMs: 500 });
    if (r.outcome === "done") break;
  }
  const tally = new Tally(nextRound(), plan.pubs.length, plan.perPub, subscribers);
  const r = await runRound(broker, spec(tally, 20_000));
  const figure = roundFigure(plan.case, plan.metric, tally, r, { delivered: plan.goal === "delivery", lossAllowed: plan.lossAllowed });
  return { figure, tally };
}

/** Connects the given device ids (provisioned first) and runs `body`; ends every client after. */
export async function withDevices<T>(broker: Broker, deviceIds: readonly string[], opts: { channel?: string }, progress: Progress,
  body: (clients: MqttClient[]) => Promise<T>): Promise<T> {
  progress.set(`${broker.name}: provisioning ${deviceIds.length} devices`);
  await broker.provision(deviceIds, opts);
  progress.set(`${broker.name}: connecting ${deviceIds.length} clients`);
  const clients = await connectAll(deviceIds.map((id) => broker.device(id)));
  try {
    return await body(clients);
  } finally {
    await endAll(clients, true);
  }
}

/** Subscribes every client to `filter` (SUBACK awaited) and checks the grant. */
export async function subscribeAll(clients: readonly MqttClient[], filter: string, qos: 0 | 1): Promise<void> {
  await Promise.all(clients.map(async (c) => {
    const granted = await c.subscribeAsync(filter, { qos });
    if (granted.some((g) => g.qos > 2)) throw new Error(`subscription to ${filter} refused`);
  }));
}
