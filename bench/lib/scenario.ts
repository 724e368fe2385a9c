/**
 * What a benchmark scenario is, and the one loop that runs it: Umbra first (its own hub), then
 * Aedes in this process, then mosquitto in a network namespace, merging their figures into one
 * JSON line per case (report.ts). A scenario either measures one broker at a time (`measure`)
 * or prints its own lines (`run`, for comparisons that are not broker against broker).
 */
import type { Args } from "./args";
import { startAedes, startUmbra, type Broker, type BrokerName, type MqttPath } from "./brokers";
import { startProfile } from "./profiler";
import { perfUnavailable, startNativeProfile } from "./native-profile";
import { runtimeProcesses } from "./cpu";
import { freePort } from "../../scripts/hub.mjs";
import { FRAMINGS, useFraming } from "./mqtt-clients";
import { measureInNetns, mosquittoUnavailable } from "./netns";
import type { Progress } from "./progress";
import { reportLines, type Line, type PeerOutcome } from "./report";

/** One measured figure of one broker. */
export interface Figure {
  /** Line key, e.g. `mqtt-pair-qos1`; peers' figures with the same key share the line. */
  case: string;
  /** What `value` counts, e.g. `delivered_msg_s`. */
  metric: string;
  value: number;
  /** Messages in the measured window (the divisor of CPU per message). */
  messages: number;
  /** Acknowledged (or sent, for QoS 0) but never delivered/stored; null where not measurable. */
  lost: number | null;
  dup?: number;
  errors: number;
  firstError?: string;
  latency?: { p50_ms: number | null; p99_ms: number | null };
  /** CPU seconds of the broker in the window: the hub's process tree, mosquitto's process, or this process for Aedes. */
  brokerCpuSeconds: number;
  /** Umbra: CPU of wrangler's local dev proxy (not part of the hub as deployed). */
  devProxyCpuSeconds?: number;
  /** CPU seconds of this process (the load generator) in the window. */
  clientCpuSeconds: number;
  /** Loss of this case does not fail the run (QoS 0 may drop by contract). */
  lossAllowed?: boolean;
  extra?: Record<string, unknown>;
}

/** Measures one broker. */
export type Measure = (broker: Broker, args: Args, progress: Progress) => Promise<Figure[]>;

/** A scenario module exports `scenario: Scenario`. */
export interface Scenario {
  name: string;
  /** Brokers compared with Umbra (default Aedes and mosquitto); `[]` for Umbra-only scenarios. */
  peers?: readonly Exclude<BrokerName, "umbra">[];
  measure?: Measure;
  /** For scenarios that are not a broker comparison: prints nothing, returns its lines. */
  run?: (args: Args, progress: Progress) => Promise<Line[]>;
}

/** Imports `bench/<name>.ts` and returns its scenario. */
export async function loadScenario(name: string): Promise<Scenario> {
  const mod = (await import(new URL(`../${name}.ts`, import.meta.url).href)) as { scenario?: Scenario };
  if (!mod.scenario) throw new Error(`bench/${name}.ts exports no scenario`);
  return mod.scenario;
}

async function measureWith(start: () => Promise<Broker>, measure: Measure, args: Args, progress: Progress): Promise<Figure[]> {
  const broker = await start();
  try {
    return await measure(broker, args, progress);
  } finally {
    await broker.close();
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;

/**
 * Runs a broker comparison and returns its lines. Umbra failing is an error (thrown); a peer
 * failing or being unavailable is noted on the lines.
 */
export async function compareBrokers(scenario: Scenario, args: Args, progress: Progress): Promise<Line[]> {
  const measure = scenario.measure;
  if (!measure) throw new Error(`${scenario.name} has no broker measurement`);
  const path = args.choice<MqttPath>("path", ["direct", "relay"], "direct");
  // Umbra's clients reach the runtime's own port unless --via-dev-proxy (see runtime-entry.ts).
  const viaDevProxy = args.flag("via-dev-proxy");
  const framing = args.choice("framing", FRAMINGS, "stream");
  useFraming(framing);
  const peers = new Set(scenario.peers ?? ["aedes", "mosquitto"]);
  const only = args.str("peers", "");
  if (only) for (const p of [...peers]) if (!only.split(",").includes(p)) peers.delete(p);

  progress.set(`umbra (${path}): starting hub`);
  // --profile <file>: a CPU profile of the hub's isolate over the Umbra run (bench/lib/profiler.ts);
  // --perf <file>: a native one of its runtime process (bench/lib/native-profile.ts).
  const profileFile = args.str("profile", "");
  const perfFile = args.str("perf", "");
  const inspectorPort = profileFile ? await freePort() : 0;
  const profiled: Measure = async (broker, a, p) => {
    const running = profileFile ? await startProfile(inspectorPort) : null;
    const runtimePid = perfFile ? runtimeProcesses(broker.pid)[0]?.pid : undefined;
    const perfWhyNot = !perfFile ? null : (perfUnavailable() ?? (runtimePid === undefined ? "no workerd runtime process found" : null));
    if (perfWhyNot) progress.note(`--perf skipped: ${perfWhyNot}`);
    const native = perfFile && !perfWhyNot && runtimePid !== undefined ? await startNativeProfile(runtimePid, perfFile) : null;
    try {
      return await measure(broker, a, p);
    } finally {
      if (running) {
        const { top, busy } = await running.stop(profileFile);
        progress.note(`profile written to ${profileFile}: isolate busy ${(busy * 100).toFixed(0)}% of samples`);
        for (const r of top) process.stderr.write(`${pct(r.self)} self ${pct(r.total)} total  ${r.fn}\n`);
      }
      if (native) {
        const { categories, landmarks } = await native.stop();
        progress.note(`native profile written to ${perfFile} (perf report -i ${perfFile}); the runtime's on-CPU samples by kind of code, then landmarks (inclusive):`);
        for (const r of [...categories, ...landmarks]) process.stderr.write(`${pct(r.share)}  ${r.name}\n`);
      }
    }
  };
  const umbra = await measureWith(() => startUmbra(path, inspectorPort, viaDevProxy), profiled, args, progress);
  const outcomes: PeerOutcome[] = [];
  if (peers.has("aedes")) {
    progress.set("aedes: starting");
    outcomes.push(await measureWith(startAedes, measure, args, progress).then(
      (figures) => ({ name: "aedes" as const, figures }),
      (e: unknown) => ({ name: "aedes" as const, error: message(e) }),
    ));
  }
  for (const p of ["aedes", "mosquitto"] as const) {
    if (!(scenario.peers ?? ["aedes", "mosquitto"]).includes(p)) outcomes.push({ name: p, skipped: "no equivalent in this broker" });
  }
  if (peers.has("mosquitto")) {
    const why = mosquittoUnavailable();
    if (why) {
      progress.note(`${scenario.name}: mosquitto skipped: ${why}`);
      outcomes.push({ name: "mosquitto", skipped: why });
    } else {
      progress.set("mosquitto: starting in its own network namespace");
      outcomes.push(await measureInNetns(scenario.name, args.toArgv(), (l) => progress.set(`(netns) ${l}`)).then(
        (figures) => ({ name: "mosquitto" as const, figures: figures as Figure[] }),
        (e: unknown) => ({ name: "mosquitto" as const, error: message(e) }),
      ));
    }
  }
  return reportLines(scenario.name, { path, entrance: viaDevProxy ? "dev-proxy" : "runtime", framing }, umbra, outcomes);
}
