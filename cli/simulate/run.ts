/**
 * A simulation run: provision the fleet, connect it in batches (so a thousand devices do not
 * arrive at once), report telemetry at the fleet's rate until the duration ends or the run is
 * stopped, wait for the last acknowledgements, disconnect, and revoke the run's tokens.
 */
import type { App } from "../../sdk/node";
import { mapLimit } from "../../bench/lib/admin";
import type { Progress } from "../../bench/lib/progress";
import { RoundRobin, due } from "./pace";
import { provision, release } from "./provision";
import type { SimDevice, SimHooks, SimProtocol } from "./sim-device";
import { openSimDevice } from "./sim-device";
import type { SimSummary } from "./stats";
import { SimStats } from "./stats";

/** What to simulate. */
export interface SimOptions {
  count: number;
  /** Telemetry messages per second, for the whole fleet. */
  rate: number;
  protocol: SimProtocol;
  prefix: string;
  /** Seconds of reporting; null: until stopped. */
  duration: number | null;
  /** Devices connecting at once. */
  batch: number;
}

/** Messages a device may have waiting for their ack before it is skipped (the hub is slow). */
const MAX_IN_FLIGHT = 8;
/** How often the pacer hands out messages. */
const TICK_MS = 20;
/** Concurrent REST requests while provisioning. */
const REST_CONCURRENCY = 16;

/** Runs a simulation against `app`'s hub; `stop` ends it early. */
export async function simulate(app: App, o: SimOptions, progress: Progress, stop: AbortSignal): Promise<SimSummary & { skipped: number }> {
  const stats = new SimStats();
  progress.set(`provisioning 0/${o.count}`);
  const provisionStart = Date.now();
  const fleet = await provision(app, o.prefix, o.count, REST_CONCURRENCY, (n) => progress.set(`provisioning ${n}/${o.count}`));
  const hooks: SimHooks = {
    delta: () => void stats.deltas++,
    command: () => void stats.commands++,
    method: () => void stats.methods++,
    disconnected: () => void stats.disconnects++,
    reconnected: () => void stats.reconnects++,
    error: (e) => stats.error(e),
  };
  const devices: SimDevice[] = [];
  let skipped = 0;
  const connectStart = Date.now();
  const provisionMs = connectStart - provisionStart;
  progress.set(() => stats.line(o.count, Date.now()));
  try {
    for (let i = 0; i < fleet.length && !stop.aborted; i += o.batch) {
      const batch = await Promise.allSettled(fleet.slice(i, i + o.batch).map((p) => openSimDevice(o.protocol, app.url, p.id, p.token, hooks)));
      for (const r of batch) {
        if (r.status === "fulfilled") {
          devices.push(r.value);
          stats.connected++;
        } else stats.error(r.reason);
      }
    }
    const connectMs = Date.now() - connectStart;

    const inFlight = new Map<string, number>();
    const pending = new Set<Promise<void>>();
    const turn = new RoundRobin(devices);
    const send = (d: SimDevice) => {
      inFlight.set(d.id, (inFlight.get(d.id) ?? 0) + 1);
      const seq = ++stats.sent;
      const p: Promise<void> = d
        .telemetry({ temp: Math.round((18 + Math.random() * 8) * 10) / 10, seq })
        .then(
          () => stats.ack(Date.now()),
          (e: unknown) => stats.error(e),
        )
        .finally(() => {
          inFlight.set(d.id, (inFlight.get(d.id) ?? 1) - 1);
          pending.delete(p);
        });
      pending.add(p);
    };
    const start = Date.now();
    let handed = 0;
    const timer = setInterval(() => {
      const n = due(o.rate, Date.now() - start, handed);
      handed += n;
      for (let k = 0; k < n; k++) {
        const d = turn.pick((x) => (inFlight.get(x.id) ?? 0) < MAX_IN_FLIGHT);
        if (d === null) skipped++;
        else send(d);
      }
    }, TICK_MS);
    await new Promise<void>((resolve) => {
      if (stop.aborted) return resolve();
      if (o.duration !== null) setTimeout(resolve, o.duration * 1000);
      stop.addEventListener("abort", () => resolve(), { once: true });
    });
    clearInterval(timer);
    const seconds = Math.round((Date.now() - start) / 100) / 10;
    progress.set(() => `waiting for ${pending.size} acknowledgements  ${stats.line(o.count, Date.now())}`);
    await Promise.allSettled([...pending]);
    return { ...stats.summary({ protocol: o.protocol, devices: o.count, provisionMs, connectMs, seconds, rate: o.rate }), skipped };
  } finally {
    progress.set(`disconnecting ${devices.length} devices`);
    await mapLimit(devices, o.batch, (d) => d.close().catch(() => {}));
    progress.set("revoking this run's tokens");
    await release(app, fleet, REST_CONCURRENCY);
  }
}
