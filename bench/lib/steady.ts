/**
 * Well-behaved devices at a steady rate over every protocol — JSON WebSocket (telemetry with an
 * `id`, acknowledged by `ack`), MQTT QoS 1 on both paths, and CoAP over WebSocket (POST
 * /telemetry → 2.04) — recording exactly which sends the hub acknowledged, so that loss can be
 * counted against the stored rows afterwards. Used by the load soak and the socket fuzzer.
 */
import type { MqttClient } from "mqtt";
import { CoapWsClient, codeText } from "../../test/clients/coap-ws-client";
import { mapLimit, type Admin } from "./admin";
import { umbraDevice } from "./brokers";
import { Histogram } from "./histogram";
import type { HubAccess } from "./hub";
import { JsonDevice } from "./json-device";
import { connectMqtt } from "./mqtt-clients";

export const PROTOCOLS = ["json", "mqtt-direct", "mqtt-relay", "coap"] as const;
export type SteadyProtocol = (typeof PROTOCOLS)[number];

/** One connected device that can send a telemetry sample and learn when it was acknowledged. */
interface Sender {
  send(data: Record<string, unknown>): Promise<void>;
  up(): boolean;
  close(): Promise<void>;
}

async function openSender(hub: HubAccess, protocol: SteadyProtocol, id: string, token: string): Promise<Sender> {
  switch (protocol) {
    case "json": {
      const d = await JsonDevice.open(hub.wsUrl, token);
      return {
        send: (data) => d.telemetry(data, 30_000), // `ack` only once the row is durable
        up: () => d.open,
        close: () => d.close(),
      };
    }
    case "mqtt-direct":
    case "mqtt-relay": {
      const c: MqttClient = await connectMqtt(umbraDevice(hub, id, token, protocol === "mqtt-direct" ? "direct" : "relay"));
      return {
        send: async (data) => void (await c.publishAsync(`devices/${id}/telemetry`, JSON.stringify(data), { qos: 1 })),
        up: () => c.connected,
        close: () => new Promise<void>((r) => c.end(false, {}, () => r())),
      };
    }
    case "coap": {
      const c = await CoapWsClient.connect(`${hub.wsUrl}/.well-known/coap`);
      // Sign in now, as a device that connects must (the hub aborts a socket that has not sent
      // auth=<token> within COAP_PREAUTH_SECONDS, 10 s): the first sample may be a whole period away.
      // The request binds the connection whatever the resource answers (a new device has no shadow: 4.04).
      const signIn = await c.request({ method: "GET", path: "shadow", query: [`auth=${token}`] }, 30_000);
      if (codeText(signIn.code) === "4.01") throw new Error("CoAP sign-in refused (4.01)");
      let open = true;
      void c.closed.then(() => (open = false));
      return {
        async send(data) {
          const r = await c.request({ method: "POST", path: "telemetry", contentFormat: 50, payload: JSON.stringify({ data }) }, 30_000);
          if (codeText(r.code) !== "2.04") throw new Error(`CoAP POST /telemetry answered ${codeText(r.code)}`);
        },
        up: () => open,
        close: () => c.close(),
      };
    }
  }
}

/** Per-protocol tallies of a steady load. */
export interface ProtocolStats {
  devices: number;
  sent: number;
  acked: number;
  errors: number;
  firstError?: string;
  latency: Histogram;
  /** Devices whose connection was down at the end. */
  down: number;
}

/** A fleet of steady senders; `start`, `stop`, then `lost()` against the stored rows. */
export class SteadyFleet {
  private readonly senders: { id: string; protocol: SteadyProtocol; sender: Sender; next: number; acked: Set<number> }[] = [];
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private readonly inflight = new Set<Promise<void>>();
  readonly stats = new Map<SteadyProtocol, ProtocolStats>();
  private running = false;

  /** @param run marks this fleet's rows (`data.k`) so reruns on one hub do not mix */
  constructor(private readonly hub: HubAccess, readonly run: string) {
    for (const p of PROTOCOLS) this.stats.set(p, { devices: 0, sent: 0, acked: 0, errors: 0, latency: new Histogram(), down: 0 });
  }

  /** Registers `perProtocol` devices for each protocol and connects them (`concurrency` at a time). */
  async connect(perProtocol: number, onProgress?: (n: number) => void, concurrency = 20): Promise<void> {
    const plan = PROTOCOLS.flatMap((protocol) => Array.from({ length: perProtocol }, (_, i) => ({ protocol, id: `${this.run}-${protocol}-${i}` })));
    const tokens = await this.hub.admin.createDevices(plan.map((p) => p.id), 8);
    await mapLimit(plan, concurrency, async ({ protocol, id }) => {
      const sender = await openSender(this.hub, protocol, id, tokens.get(id) ?? "");
      this.senders.push({ id, protocol, sender, next: 0, acked: new Set() });
      (this.stats.get(protocol) as ProtocolStats).devices++;
      onProgress?.(this.senders.length);
    });
  }

  /** Every device sends one sample every `periodMs`, phases spread evenly. */
  start(periodMs: number): void {
    this.running = true;
    this.senders.forEach((s, i) => {
      const tick = () => {
        if (!this.running) return;
        this.sendOne(s);
        this.timers[i] = setTimeout(tick, periodMs);
      };
      this.timers[i] = setTimeout(tick, (periodMs * i) / this.senders.length);
    });
  }

  private sendOne(s: (typeof this.senders)[number]): void {
    const st = this.stats.get(s.protocol) as ProtocolStats;
    const seq = s.next++;
    const t = performance.now();
    st.sent++;
    const p = s.sender.send({ k: this.run, s: seq }).then(
      () => {
        s.acked.add(seq);
        st.acked++;
        st.latency.record(performance.now() - t);
      },
      (e: unknown) => {
        st.errors++;
        st.firstError ??= `${s.id}: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Total acknowledged so far. */
  get acked(): number {
    return [...this.stats.values()].reduce((n, s) => n + s.acked, 0);
  }

  get errors(): number {
    return [...this.stats.values()].reduce((n, s) => n + s.errors, 0);
  }

  /** Stops sending, waits for outstanding acknowledgements, counts devices that are down. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([...this.inflight]);
    for (const s of this.senders) if (!s.sender.up()) (this.stats.get(s.protocol) as ProtocolStats).down++;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await mapLimit(this.senders, 50, (s) => s.sender.close().catch(() => undefined));
  }

  /** Acknowledged samples missing from storage, per protocol (reads every device's rows over REST). */
  async lost(admin: Admin = this.hub.admin): Promise<Map<SteadyProtocol, number>> {
    const out = new Map<SteadyProtocol, number>(PROTOCOLS.map((p) => [p, 0]));
    await mapLimit(this.senders, 8, async (s) => {
      const stored = new Set<number>();
      for (const row of await admin.telemetry(s.id)) if (row.data.k === this.run && typeof row.data.s === "number") stored.add(row.data.s);
      let missing = 0;
      for (const seq of s.acked) if (!stored.has(seq)) missing++;
      out.set(s.protocol, (out.get(s.protocol) ?? 0) + missing);
    });
    return out;
  }
}
