/**
 * `connections` (Umbra only): opens `--devices` (2,000) device WebSockets on the JSON protocol,
 * holds them `--hold` seconds (60), then pings every one (a pong proves it is still served) and
 * closes them all. Reports how many stayed up, the hub's resident memory (wrangler + workerd
 * tree, from /proc) before, while held and `--settle` seconds (15) after closing, and memory per
 * connection. The count is capped by this process's open-file limit (scripts/bench.mjs raises it).
 * Options: --devices 2000 --hold 60 --settle 15
 */
import { readFileSync } from "node:fs";
import { mapLimit } from "./lib/admin";
import { treeRssBytes } from "./lib/cpu";
import { JsonDevice } from "./lib/json-device";
import { brokerMeter } from "./lib/mqtt-round";
import { ids } from "./lib/mqtt-scenario";
import type { Scenario } from "./lib/scenario";

/** Soft limit on open files of this process, from /proc/self/limits (Infinity when unknown). */
function fileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m && m[1] !== "unlimited" ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

const mb = (b: number) => Math.round(b / 1e5) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const scenario: Scenario = {
  name: "connections",
  peers: [],
  async measure(broker, args, progress) {
    const { hub, entrance } = broker;
    if (!hub || !entrance) throw new Error("connections measures Umbra only");
    const requested = Math.round(args.num("devices", 2000));
    const holdS = args.num("hold", 60);
    const settleS = args.num("settle", 15);
    const n = Math.min(requested, fileLimit() - 200);
    if (n < requested) progress.note(`connections: only ${n} of ${requested} (open-file limit of this process)`);
    const deviceIds = ids("bench-conn", n);
    progress.set(`provisioning ${n} devices`);
    await broker.provision(deviceIds);
    await sleep(2000);
    const rssBefore = treeRssBytes(hub.pid);
    const meter = brokerMeter(broker);

    let opened = 0;
    let failedOpen = 0;
    let firstError: string | undefined;
    const sockets = (await mapLimit(deviceIds, 50, async (id) => {
      try {
        const s = await JsonDevice.open(entrance.wsUrl, broker.device(id).password ?? "");
        opened++;
        return s;
      } catch (e) {
        failedOpen++;
        firstError ??= e instanceof Error ? e.message : String(e);
        return undefined;
      } finally {
        progress.set(`opening: ${opened} open, ${failedOpen} refused, of ${n}`);
      }
    })).filter((s): s is JsonDevice => s !== undefined);

    const holdUntil = Date.now() + holdS * 1000;
    let peakRss = treeRssBytes(hub.pid);
    while (Date.now() < holdUntil) {
      await sleep(Math.min(1000, Math.max(0, holdUntil - Date.now())));
      peakRss = Math.max(peakRss, treeRssBytes(hub.pid));
      const closed = sockets.filter((s) => !s.open).length;
      progress.set(`holding ${sockets.length - closed}/${sockets.length} for ${Math.ceil((holdUntil - Date.now()) / 1000)} s more, hub RSS ${mb(peakRss)} MB`);
    }
    const rssHeld = treeRssBytes(hub.pid);
    progress.set(`pinging ${sockets.length} sockets`);
    const pongs = await mapLimit(sockets, 200, (s) => s.ping(30_000).then(() => 1, () => 0));
    const up = pongs.reduce<number>((a, b) => a + b, 0);
    const cpu = meter();

    progress.set("closing");
    await mapLimit(sockets, 200, (s) => s.close());
    await sleep(settleS * 1000);
    const rssAfter = treeRssBytes(hub.pid);
    const perConn = opened > 0 ? Math.round((rssHeld - rssBefore) / opened / 102.4) / 10 : null;
    const grown = rssHeld - rssBefore;
    return [{
      case: "connections-json", metric: "connections_held", value: up, messages: opened, lost: opened - up,
      errors: failedOpen, firstError, brokerCpuSeconds: cpu.brokerCpuSeconds, clientCpuSeconds: cpu.clientCpuSeconds,
      extra: {
        requested, attempted: n, opened, up, hold_s: holdS,
        rss_before_mb: mb(rssBefore), rss_held_mb: mb(rssHeld), rss_peak_mb: mb(peakRss), rss_after_close_mb: mb(rssAfter),
        rss_per_conn_kb: perConn,
        // Share of the growth while held that was given back after closing (100 = all of it).
        released_pct: grown > 0 ? Math.round(((rssHeld - rssAfter) / grown) * 100) : null,
      },
    }];
  },
};
