/**
 * `ws-memory` (Umbra only): how much of the local runtime's memory each WebSocket message from a
 * device keeps, by the kind of socket that receives it. One hub per case (memory the runtime
 * took is not given back, so cases must not share one): a JSON device, whose socket the device
 * object holds (hibernation API), and an MQTT device on `/mqtt/<id>`, whose socket the edge
 * Worker holds (`accept()`). Both send the same telemetry, one sample per WebSocket message, with
 * no answer (JSON without `id`, MQTT QoS 0), paced to `--rate`; the object stores every one.
 * Figure: growth of the runtime's anonymous resident memory (/proc RssAnon) over the run, per
 * message, after a warm-up and a settle. Rate limits are lifted (BENCH_VARS).
 * Options: --messages 50000 --rate 1000 (a JSON device much faster than its object stores is cut as flooding)
 */
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { generate } from "mqtt-packet";
import { LocalHub, hubAt } from "./lib/hub";
import { BENCH_VARS } from "./lib/brokers";
import { runtimeProcesses } from "./lib/cpu";
import { runtimeEntryUrl } from "./lib/runtime-entry";
import type { Progress } from "./lib/progress";
import type { Line } from "./lib/report";
import type { Scenario } from "./lib/scenario";

type Kind = "json" | "mqtt";

const WARMUP = 5_000;
const SETTLE_MS = 3_000;
const TICK_MS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Anonymous resident memory of process `pid` in bytes (heap, not mapped files). */
function rssAnon(pid: number): number {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no RssAnon for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Opens the device's socket; resolves once it may send telemetry. */
async function openDevice(kind: Kind, wsUrl: string, id: string, token: string): Promise<{ ws: WebSocket; frame: Uint8Array | string }> {
  const ws = kind === "json"
    ? new WebSocket(`${wsUrl}/v1/connect`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false })
    : new WebSocket(`${wsUrl}/mqtt/${id}`, ["mqtt"], { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  if (kind === "json") return { ws, frame: JSON.stringify({ type: "telemetry", data: { t: 21.5 } }) };
  ws.send(generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: id, keepalive: 60, username: id, password: Buffer.from(token) }));
  const connack = await new Promise<Buffer>((resolve) => ws.once("message", (d: Buffer) => resolve(d)));
  if (connack[0] !== 0x20 || connack[3] !== 0) throw new Error(`CONNACK refused: ${connack.toString("hex")}`);
  return { ws, frame: generate({ cmd: "publish", topic: `devices/${id}/telemetry`, payload: Buffer.from(JSON.stringify({ t: 21.5 })), qos: 0, retain: false, dup: false }) };
}

/** Sends `n` copies of `frame` at `rate` a second; returns how many went before the socket closed. */
async function paced(ws: WebSocket, frame: Uint8Array | string, n: number, rate: number, onTick: (sent: number) => void): Promise<number> {
  const start = Date.now();
  let sent = 0;
  while (sent < n && ws.readyState === WebSocket.OPEN) {
    const due = Math.min(n, Math.floor(((Date.now() - start) / 1000) * rate));
    for (; sent < due; sent++) ws.send(frame);
    onTick(sent);
    await sleep(TICK_MS);
  }
  return sent;
}

async function measure(kind: Kind, messages: number, rate: number, progress: Progress): Promise<Line> {
  return LocalHub.with(`umbra-bench-wsmem-${kind}-`, { ...BENCH_VARS }, async (hub) => {
    const entrance = hubAt(await runtimeEntryUrl(hub.pid), hub.adminToken);
    const runtime = runtimeProcesses(hub.pid)[0]?.pid;
    if (runtime === undefined) throw new Error("no workerd runtime under wrangler");
    const id = `bench-wsmem-${kind}`;
    const token = await entrance.admin.createDevice(id);
    const { ws, frame } = await openDevice(kind, entrance.wsUrl, id, token);
    let closed: string | undefined;
    ws.on("close", (code) => (closed = `closed ${code}`));
    await paced(ws, frame, WARMUP, rate, (s) => progress.set(`ws-memory ${kind}: warm-up ${s}/${WARMUP}`));
    await sleep(SETTLE_MS);
    const before = rssAnon(runtime);
    const sent = await paced(ws, frame, messages, rate, (s) => progress.set(`ws-memory ${kind}: ${s}/${messages}`));
    await sleep(SETTLE_MS);
    const after = rssAnon(runtime);
    ws.close();
    const mb = (b: number) => Math.round(b / 1e5) / 10;
    return {
      scenario: "ws-memory", case: `ws-memory-${kind}`, metric: "retained_bytes_per_message",
      umbra: Math.round((after - before) / Math.max(1, sent)),
      ok: sent === messages && closed === undefined,
      ...(closed ? { error: closed } : {}),
      socket: kind === "json" ? "hibernatable, held by the device object" : "accept()ed, held by the edge Worker",
      messages: sent, rate, rss_anon_before_mb: mb(before), rss_anon_after_mb: mb(after),
    };
  });
}

export const scenario: Scenario = {
  name: "ws-memory",
  async run(args, progress) {
    const messages = Math.round(args.num("messages", 50_000));
    const rate = args.num("rate", 1_000);
    const json = await measure("json", messages, rate, progress);
    const mqtt = await measure("mqtt", messages, rate, progress);
    const perJson = Number(json.umbra);
    return [json, { ...mqtt, ratio_vs_json: perJson > 0 ? Math.round((Number(mqtt.umbra) / perJson) * 100) / 100 : null }];
  },
};
