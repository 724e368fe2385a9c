/**
 * `shadow` (Umbra only: the peers have no shadows): how fast a desired change reaches the device,
 * and how many durable shadow writes one device sustains.
 * - `shadow-delta-json` / `shadow-delta-mqtt`: an app sets `desired` over REST, one at a time;
 *   latency = REST call → `shadow.delta` on the JSON socket / `…/shadow/update/delta` over MQTT.
 * - `shadow-updates-mqtt` / `shadow-updates-json`: one device reports `--updates` times with
 *   `--inflight` outstanding (MQTT QoS 1: acked by PUBACK; JSON: by `shadow.accepted`); `lost` =
 *   acknowledged writes missing from the stored version count afterwards.
 * Options: --deltas 200 --updates 2000 --inflight 10 --path direct|relay
 */
import type { MqttClient } from "mqtt";
import type { Broker } from "./lib/brokers";
import { brokerMeter } from "./lib/mqtt-round";
import { connectMqtt, endAll } from "./lib/mqtt-clients";
import { JsonDevice } from "./lib/json-device";
import type { Progress } from "./lib/progress";
import type { Figure, Scenario } from "./lib/scenario";
import { Histogram } from "./lib/histogram";
import { windowed } from "./lib/window";
import type { HubAccess } from "./lib/hub";

/** Sets desired n = 0..count-1 over REST, each time awaiting the delta that `waitDelta` reports. */
async function deltaCase(name: string, broker: Broker, hub: HubAccess, deviceId: string, count: number, progress: Progress,
  subscribe: (onDelta: (n: unknown) => void) => () => void): Promise<Figure> {
  const latency = new Histogram();
  let waiting: { n: number; resolve: () => void } | undefined;
  const off = subscribe((n) => {
    if (waiting && n === waiting.n) waiting.resolve();
  });
  const meter = brokerMeter(broker);
  let errors = 0;
  let firstError: string | undefined;
  try {
    for (let i = 0; i < count; i++) {
      progress.set(`${name}: ${i}/${count}`);
      const t = performance.now();
      const arrived = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no delta for n=${i} within 10 s`)), 10_000);
        waiting = { n: i, resolve: () => (clearTimeout(timer), resolve()) };
      });
      try {
        await hub.admin.setDesired(deviceId, { n: i });
        await arrived;
        latency.record(performance.now() - t);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  } finally {
    off();
  }
  const cpu = meter();
  return { case: name, metric: "deltas_s", value: latency.count / cpu.seconds, messages: latency.count, lost: count - latency.count - errors, errors, firstError,
    latency: latency.summary(), brokerCpuSeconds: cpu.brokerCpuSeconds, clientCpuSeconds: cpu.clientCpuSeconds };
}

/** Sustained reported writes on one device; `lost` from the version counter read back over REST. */
async function updatesCase(name: string, broker: Broker, hub: HubAccess, deviceId: string, total: number, inflight: number, progress: Progress,
  update: (i: number) => Promise<unknown>): Promise<Figure> {
  const before = (await hub.admin.shadow(deviceId).catch(() => ({ version: 0 }))).version;
  const meter = brokerMeter(broker);
  const r = await windowed(total, inflight, update, (done) => progress.set(`${name}: ${done}/${total}`));
  const cpu = meter();
  const after = (await hub.admin.shadow(deviceId)).version;
  return { case: name, metric: "updates_s", value: r.acked / r.seconds, messages: r.acked, lost: Math.max(0, r.acked - (after - before)),
    errors: r.errors, firstError: r.firstError, latency: r.latency.summary(), brokerCpuSeconds: cpu.brokerCpuSeconds, clientCpuSeconds: cpu.clientCpuSeconds,
    extra: { version_before: before, version_after: after } };
}

export const scenario: Scenario = {
  name: "shadow",
  peers: [],
  async measure(broker, args, progress) {
    const hub = broker.entrance;
    if (!hub) throw new Error("shadow measures Umbra only");
    const deltas = Math.round(args.num("deltas", 200));
    const updates = Math.round(args.num("updates", 2000));
    const inflight = Math.round(args.num("inflight", 10));
    const ids = { dj: "bench-sh-dj", dm: "bench-sh-dm", uj: "bench-sh-uj", um: "bench-sh-um" };
    await broker.provision(Object.values(ids));
    const tokenOf = (id: string) => broker.device(id).password ?? "";
    const figures: Figure[] = [];
    const clients: MqttClient[] = [];
    const sockets: JsonDevice[] = [];
    try {
      const dj = await JsonDevice.open(hub.wsUrl, tokenOf(ids.dj));
      sockets.push(dj);
      figures.push(await deltaCase("shadow-delta-json", broker, hub, ids.dj, deltas, progress, (f) =>
        dj.onMessage((m) => m.type === "shadow.delta" && f((m.state as Record<string, unknown> | undefined)?.n))));

      const dm = await connectMqtt(broker.device(ids.dm));
      clients.push(dm);
      const deltaTopic = `$aws/things/${ids.dm}/shadow/update/delta`;
      await dm.subscribeAsync(deltaTopic, { qos: 1 });
      figures.push(await deltaCase("shadow-delta-mqtt", broker, hub, ids.dm, deltas, progress, (f) => {
        const h = (topic: string, payload: Buffer) => {
          if (topic === deltaTopic) f((JSON.parse(payload.toString()) as { state?: { n?: unknown } }).state?.n);
        };
        dm.on("message", h);
        return () => dm.removeListener("message", h);
      }));

      const um = await connectMqtt(broker.device(ids.um));
      clients.push(um);
      figures.push(await updatesCase("shadow-updates-mqtt", broker, hub, ids.um, updates, inflight, progress, (i) =>
        um.publishAsync(`$aws/things/${ids.um}/shadow/update`, JSON.stringify({ state: { reported: { n: i } } }), { qos: 1 })));

      const uj = await JsonDevice.open(hub.wsUrl, tokenOf(ids.uj));
      sockets.push(uj);
      figures.push(await updatesCase("shadow-updates-json", broker, hub, ids.uj, updates, inflight, progress, (i) => uj.updateShadow({ reported: { n: i } })));
    } finally {
      await endAll(clients, true);
      await Promise.all(sockets.map((s) => s.close()));
    }
    return figures;
  },
};
