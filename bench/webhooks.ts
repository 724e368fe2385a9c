/**
 * Webhook benchmark: a real Umbra hub (`wrangler dev`) and a local HTTP receiver. Devices post
 * telemetry over HTTP in batches; one webhook without a filter turns every sample into a
 * signed POST. Cases:
 * - `telemetry-http-baseline`: the same posts with no webhook (what ingestion alone costs);
 * - `telemetry-http-webhook`: with the webhook; rate = events/s the receiver got, end to end.
 * `hub_cpu_us_per_event` is the CPU of the hub's process tree (wrangler + workerd) over the
 * window divided by the events; the difference between the two cases is the webhook's share
 * (device → webhook object RPC, the outbox write, signing, the POST and its bookkeeping).
 * Prints one JSON line per case. Run with `npm run bench -- webhooks`; WEBHOOK_BENCH_TOTAL sets
 * the events per case (default 4000).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { applyMigrations, freePort, startWrangler } from "../scripts/hub.mjs";
import { cpuMeter } from "./lib/cpu";

const TOTAL = Number(process.env.WEBHOOK_BENCH_TOTAL) || 4000;
const DEVICES = 4;
const BATCH = 100;

let received = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    received++;
    res.end();
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const dir = mkdtempSync(join(tmpdir(), "umbra-bench-webhooks-"));
const admin = randomBytes(32).toString("base64url");
const envFile = join(dir, "vars.env");
writeFileSync(envFile, `ADMIN_TOKEN="${admin}"\nWEBHOOK_ALLOW_PRIVATE="true"\nDEVICE_HTTP_RATE="100000"\nDEVICE_HTTP_BURST="100000"\n`);
const persistTo = join(dir, "state");
applyMigrations(persistTo);
const hub = await startWrangler({ port: await freePort(), persistTo, envFile });

async function api<T>(method: string, path: string, body?: unknown, token = admin): Promise<T> {
  const r = await fetch(`${hub.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

try {
  const tokens: string[] = [];
  for (let i = 0; i < DEVICES; i++) tokens.push((await api<{ credential: { token: string } }>("POST", "/v1/devices", { id: `wb-${i}` })).credential.token);
  const post = async (round: string) => {
    const perDevice = TOTAL / DEVICES;
    await Promise.all(
      tokens.map(async (token, d) => {
        for (let sent = 0; sent < perDevice; sent += BATCH) {
          const now = Date.now();
          const body = Array.from({ length: Math.min(BATCH, perDevice - sent) }, (_, i) => ({ ts: now, data: { round, i: sent + i, t: 20 + d } }));
          await api("POST", `/v1/devices/wb-${d}/telemetry`, body, token);
        }
      }),
    );
  };
  await post("warmup");
  {
    const stop = cpuMeter(hub.child.pid);
    const t0 = performance.now();
    await post("baseline");
    const seconds = (performance.now() - t0) / 1000;
    const { treeCores } = stop();
    console.log(JSON.stringify({ case: "telemetry-http-baseline", events: TOTAL, seconds: +seconds.toFixed(2), rate: Math.round(TOTAL / seconds), hub_cpu_us_per_event: Math.round((treeCores * seconds * 1e6) / TOTAL) }));
  }
  await api("POST", "/v1/webhooks", { url: receiverUrl, events: ["telemetry"] });
  await post("warmup-hook");
  while (received < TOTAL) await new Promise((r) => setTimeout(r, 50));
  received = 0;
  {
    const stop = cpuMeter(hub.child.pid);
    const t0 = performance.now();
    await post("webhook");
    const deadline = Date.now() + 120_000;
    while (received < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const seconds = (performance.now() - t0) / 1000;
    const { treeCores } = stop();
    console.log(JSON.stringify({ case: "telemetry-http-webhook", events: TOTAL, received, seconds: +seconds.toFixed(2), rate: Math.round(received / seconds), hub_cpu_us_per_event: Math.round((treeCores * seconds * 1e6) / TOTAL) }));
  }
} finally {
  await hub.stop();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
