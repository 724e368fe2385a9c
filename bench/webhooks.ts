/**
 * `webhooks` (Umbra only): telemetry turned into signed POSTs to a local HTTP receiver. Devices
 * post telemetry over HTTP in batches of 100; one webhook without a filter makes every sample an
 * event, one POST each.
 * - `webhooks-baseline`: the same posts with no webhook (what ingestion alone costs);
 * - `webhooks-telemetry`: with the webhook; value = events/s the receiver got, end to end;
 *   `lost` = events never received.
 * `hub_cpu_us_per_msg` is the CPU of the hub's workerd runtime (what Cloudflare bills) over the
 * window ÷ events, `dev_proxy_cpu_us_per_msg` that of wrangler's local dev proxy apart; the
 * difference between the two lines is the webhook's share (device → webhook object RPC, the
 * outbox write, signing, the POST and its bookkeeping).
 * Options: --events 4000 --devices 4
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { LocalHub } from "./lib/hub";
import { cpuMeter, usPerMessage } from "./lib/cpu";
import { mapLimit } from "./lib/admin";
import type { Scenario } from "./lib/scenario";
import type { Line } from "./lib/report";

const BATCH = 100;

export const scenario: Scenario = {
  name: "webhooks",
  peers: [],
  async run(args, progress) {
    const total = Math.round(args.num("events", 4000));
    const devices = Math.round(args.num("devices", 4));
    let received = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        received++;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const receiver = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const hub = LocalHub.create("umbra-bench-webhooks-", { WEBHOOK_ALLOW_PRIVATE: "true", DEVICE_HTTP_RATE: "100000", DEVICE_HTTP_BURST: "100000" });
    try {
      progress.set("starting hub");
      await hub.start();
      const ids = Array.from({ length: devices }, (_, i) => `bench-wh-${i}`);
      const tokens = await hub.admin.createDevices(ids);
      const post = (round: string) =>
        mapLimit(ids, devices, async (id) => {
          const per = Math.ceil(total / devices);
          for (let sent = 0; sent < per; sent += BATCH) {
            const now = Date.now();
            const body = Array.from({ length: Math.min(BATCH, per - sent) }, (_, i) => ({ ts: now, data: { round, i: sent + i } }));
            await hub.admin.request("POST", `/v1/devices/${id}/telemetry`, 202, body, tokens.get(id));
          }
        });
      const events = Math.ceil(total / devices) * devices;
      const until = async (n: number) => {
        const deadline = Date.now() + 120_000;
        while (received < n && Date.now() < deadline) {
          progress.set(`received ${received}/${n}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      const lines: Line[] = [];
      await post("warmup");
      let meter = cpuMeter(hub.pid);
      await post("baseline");
      let cpu = meter();
      lines.push({ scenario: "webhooks", case: "webhooks-baseline", metric: "events_s", umbra: Math.round(events / cpu.seconds), ok: true, hub_cpu_us_per_msg: usPerMessage(cpu.runtimeCpuSeconds, events), dev_proxy_cpu_us_per_msg: usPerMessage(cpu.treeCpuSeconds - cpu.runtimeCpuSeconds, events), messages: events });
      await hub.admin.request("POST", "/v1/webhooks", 201, { url: receiver, events: ["telemetry"] });
      await post("warmup-hook");
      await until(events);
      received = 0;
      meter = cpuMeter(hub.pid);
      await post("measure");
      await until(events);
      cpu = meter();
      lines.push({ scenario: "webhooks", case: "webhooks-telemetry", metric: "events_s", umbra: Math.round(received / cpu.seconds), ok: received >= events, lost: Math.max(0, events - received), hub_cpu_us_per_msg: usPerMessage(cpu.runtimeCpuSeconds, events), dev_proxy_cpu_us_per_msg: usPerMessage(cpu.treeCpuSeconds - cpu.runtimeCpuSeconds, events), messages: events });
      return lines;
    } finally {
      server.close();
      await hub.dispose();
    }
  },
};
