/**
 * The brokers a benchmark compares, behind one interface: a real Umbra hub (`wrangler dev`),
 * Aedes in this process (over `ws` with `createWebSocketStream`), and Debian's mosquitto with a
 * websockets listener (only inside a network namespace of its own: see netns.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Aedes from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";
import { freePort } from "../../scripts/hub.mjs";
import { mapLimit } from "./admin";
import { LocalHub, hubAt, type HubAccess } from "./hub";
import { runtimeEntryUrl } from "./runtime-entry";

export type BrokerName = "umbra" | "aedes" | "mosquitto";
/** Umbra's two MQTT entrances: `/mqtt/<id>` straight to the device's object, or `/mqtt` via the Worker. */
export type MqttPath = "direct" | "relay";

/** Where and as whom one MQTT client connects. */
export interface MqttEndpoint {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
}

/** A broker under test. */
export interface Broker {
  readonly name: BrokerName;
  /** Makes `ids` usable as MQTT devices (Umbra: registers them), members of `channel` when given. */
  provision(ids: readonly string[], opts?: { channel?: string }): Promise<void>;
  /** How device `id` connects. */
  device(id: string): MqttEndpoint;
  /** A fleet-wide reader/commander: an app session on Umbra (`/mqtt`, user `app`), any client elsewhere. */
  app(clientId: string): MqttEndpoint;
  /** Root pid of the broker's own processes (CPU, RSS); undefined when it runs in this process. */
  readonly pid: number | undefined;
  /** Umbra only: the hub, for process accounting. */
  readonly hub?: LocalHub;
  /** Umbra only: where its clients connect and REST calls go (the runtime's port, or the dev proxy's). */
  readonly entrance?: HubAccess;
  close(): Promise<void>;
}

// --- Umbra -------------------------------------------------------------------------------

/** How device `id` (with its token) reaches `hub` by `path`. */
export function umbraDevice(hub: HubAccess, id: string, token: string, path: MqttPath): MqttEndpoint {
  return { url: path === "direct" ? `${hub.wsUrl}/mqtt/${id}` : `${hub.wsUrl}/mqtt`, clientId: id, username: id, password: token };
}

/** An app session on `hub` (user name `app`, the admin token as password). */
export function umbraApp(hub: HubAccess, clientId: string): MqttEndpoint {
  return { url: `${hub.wsUrl}/mqtt`, clientId, username: "app", password: hub.adminToken };
}

/**
 * Per-device rate limits lifted for benchmarks: they measure how fast the hub can go, and a
 * single bench device sends far above a real device's rate (the peers have no such limit).
 */
export const BENCH_VARS: Readonly<Record<string, string>> = {
  DEVICE_RATE_PER_SECOND: "1000000", DEVICE_RATE_BURST: "1000000", DEVICE_HTTP_RATE: "1000000", DEVICE_HTTP_BURST: "1000000",
};

/**
 * Starts a fresh hub (rate limits lifted, see {@link BENCH_VARS}); clients connect by `path`, to
 * the runtime's own entrance (see runtime-entry.ts) or, `viaDevProxy`, through wrangler's dev proxy.
 */
export async function startUmbra(path: MqttPath = "direct", inspectorPort = 0, viaDevProxy = false): Promise<Broker> {
  const hub = LocalHub.create("umbra-bench-", { ...BENCH_VARS }, inspectorPort);
  await hub.start();
  const entrance: HubAccess = viaDevProxy ? hub : hubAt(await runtimeEntryUrl(hub.pid), hub.adminToken);
  const tokens = new Map<string, string>();
  const channels = new Set<string>();
  return {
    name: "umbra",
    hub,
    entrance,
    get pid() {
      return hub.pid;
    },
    async provision(ids, opts = {}) {
      const fresh = ids.filter((id) => !tokens.has(id));
      for (const [id, token] of await entrance.admin.createDevices(fresh)) tokens.set(id, token);
      if (opts.channel) {
        if (!channels.has(opts.channel)) await entrance.admin.request("POST", "/v1/channels", 201, { id: opts.channel });
        channels.add(opts.channel);
        await mapLimit(ids, 8, (d) => entrance.admin.request("PUT", `/v1/channels/${opts.channel}/devices/${d}`, 204));
      }
    },
    device(id) {
      const token = tokens.get(id);
      if (token === undefined) throw new Error(`device ${id} was not provisioned`);
      return umbraDevice(entrance, id, token, path);
    },
    app: (clientId) => umbraApp(entrance, clientId),
    async close() {
      await hub.disposeReporting();
    },
  };
}

// --- Aedes -------------------------------------------------------------------------------

/** Aedes in this process, listening on 127.0.0.1. */
export async function startAedes(): Promise<Broker> {
  const broker = new Aedes();
  const port = await freePort();
  const wss = new WebSocketServer({ host: "127.0.0.1", port });
  wss.on("connection", (socket) => broker.handle(createWebSocketStream(socket)));
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", () => resolve());
    wss.once("error", reject);
  });
  const url = `ws://127.0.0.1:${port}`;
  return {
    name: "aedes",
    pid: undefined,
    async provision() {},
    device: (id) => ({ url, clientId: id }),
    app: (clientId) => ({ url, clientId }),
    async close() {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

// --- Mosquitto ---------------------------------------------------------------------------

/** True when Debian's mosquitto binary is on PATH. */
export function mosquittoInstalled(): boolean {
  return spawnSync("mosquitto", ["-h"], { stdio: "ignore" }).error === undefined;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/**
 * Starts mosquitto with a websockets listener. Debian's build binds that listener to every
 * interface whatever the config says, so call this only inside `unshare -n` (netns.ts). A TCP
 * listener on 127.0.0.1 sits beside it because this build refuses to start with websockets alone.
 */
export async function startMosquitto(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), "umbra-bench-mosquitto-"));
  const [wsPort, tcpPort] = [await freePort(), await freePort()];
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, [
    `listener ${wsPort}`, "protocol websockets", `listener ${tcpPort} 127.0.0.1`, "allow_anonymous true",
    // no broker-side caps that Aedes does not have either: queue and in-flight unlimited
    "max_inflight_messages 0", "max_queued_messages 0", "persistence false", "log_type error", "",
  ].join("\n"));
  const child = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const deadline = Date.now() + 10_000;
  while (!(await listening(wsPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`mosquitto did not start: ${err.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = `ws://127.0.0.1:${wsPort}`;
  return {
    name: "mosquitto",
    pid: child.pid,
    async provision() {},
    device: (id) => ({ url, clientId: id }),
    app: (clientId) => ({ url, clientId }),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
