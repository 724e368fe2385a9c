/**
 * `npm run soak -- load --minutes 10`: 1,000 devices (`--devices`) spread evenly over JSON
 * WebSocket, MQTT QoS 1 on `/mqtt/<id>` and `/mqtt`, and CoAP over WebSocket, each sending one
 * telemetry sample every `--period` ms (10,000: 100 msg/s in all) for `--minutes`, on a hub of its own. Prints one
 * JSON line per protocol and a total: acknowledged sends, loss against the stored rows (must be
 * 0), p50/p99 ack latency, errors, devices down at the end, hub RSS at the start and end.
 */
import { Args } from "../lib/args";
import { treeRssBytes, cpuMeter, usPerMessage } from "../lib/cpu";
import { Histogram } from "../lib/histogram";
import { soak } from "../lib/soak";
import type { Line } from "../lib/report";
import { PROTOCOLS, SteadyFleet } from "../lib/steady";

const args = new Args();
const minutes = args.num("minutes", 10);
const devices = Math.round(args.num("devices", 1000));
const periodMs = args.num("period", 10_000);
const perProtocol = Math.max(1, Math.round(devices / PROTOCOLS.length));
const mb = (b: number) => Math.round(b / 1e5) / 10;
await soak("soak-load", async (hub, progress) => {
  const lines: Line[] = [];
  const fleet = new SteadyFleet(hub, `soak-${Date.now().toString(36)}`);
  await fleet.connect(perProtocol, (n) => progress.set(`connecting ${n}/${perProtocol * PROTOCOLS.length}`));
  const rssStart = treeRssBytes(hub.pid);
  const meter = cpuMeter(hub.pid);
  const started = Date.now();
  fleet.start(periodMs);
  progress.set(() => `${((Date.now() - started) / 60_000).toFixed(1)}/${minutes} min, acked ${fleet.acked}, errors ${fleet.errors}, hub RSS ${mb(treeRssBytes(hub.pid))} MB`);
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  progress.set("draining acknowledgements");
  await fleet.stop();
  const cpu = meter();
  const rssEnd = treeRssBytes(hub.pid);
  progress.set("counting stored rows");
  const lost = await fleet.lost();
  await fleet.close();

  const all = new Histogram();
  let acked = 0;
  for (const p of PROTOCOLS) {
    const s = fleet.stats.get(p);
    if (!s) continue;
    all.merge(s.latency);
    acked += s.acked;
    const l = lost.get(p) ?? 0;
    lines.push({ scenario: "soak-load", case: p, ok: l === 0 && s.errors === 0 && s.down === 0, devices: s.devices, sent: s.sent, acked: s.acked, lost: l,
      ...s.latency.summary(), errors: s.errors, ...(s.firstError ? { first_error: s.firstError } : {}), down: s.down });
  }
  lines.push({
    scenario: "soak-load", case: "total", ok: lines.every((l) => l.ok), minutes, devices: perProtocol * PROTOCOLS.length, period_ms: periodMs,
    acked, ack_rate_s: Math.round(acked / cpu.seconds), lost: [...lost.values()].reduce((a, b) => a + b, 0), ...all.summary(),
    errors: fleet.errors, rss_start_mb: mb(rssStart), rss_end_mb: mb(rssEnd), hub_cpu_us_per_msg: usPerMessage(cpu.treeCpuSeconds, acked),
  });
  return lines;
});
