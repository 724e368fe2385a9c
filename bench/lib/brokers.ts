/** The brokers the MQTT benchmark compares: a real Umbra hub (wrangler dev) and Aedes in this process. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import Aedes from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";
import { applyMigrations, freePort, startWrangler, type Hub } from "../../scripts/hub.mjs";

/** Where benchmark clients connect. */
export interface Target {
  name: "umbra" | "aedes";
  /** ws:// URL for one device's MQTT connection. */
  url: (deviceId: string) => string;
  password: (deviceId: string) => string | undefined;
  /** pid whose process tree is the broker, when it is not this process. */
  brokerPid?: number;
}

// --- Umbra -------------------------------------------------------------------------------
async function api<T>(base: string, admin: string, method: string, path: string, status: number, body?: unknown): Promise<T | null> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${r.status}: ${text}`);
  return text ? (JSON.parse(text) as T) : null;
}

export async function startUmbra(channel: string, publishers: number): Promise<{ hub: Hub; dir: string; target: Target; subId: string; pubIds: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "umbra-bench-mqtt-"));
  const admin = randomBytes(32).toString("base64url");
  const envFile = join(dir, "vars.env");
  writeFileSync(envFile, `ADMIN_TOKEN="${admin}"\n`);
  const persistTo = join(dir, "state");
  applyMigrations(persistTo);
  const hub = await startWrangler({ port: await freePort(), persistTo, envFile });

  const subId = "bench-sub";
  const pubIds = Array.from({ length: publishers }, (_, i) => `bench-pub-${i}`);
  const tokens = new Map<string, string>();
  await api(hub.url, admin, "POST", "/v1/channels", 201, { id: channel });
  for (const id of [subId, ...pubIds]) {
    const created = await api<{ credential: { token: string } }>(hub.url, admin, "POST", "/v1/devices", 201, { id });
    if (!created) throw new Error(`POST /v1/devices ${id}: empty answer`);
    tokens.set(id, created.credential.token);
    await api(hub.url, admin, "PUT", `/v1/channels/${channel}/devices/${id}`, 204);
  }
  const ws = hub.url.replace(/^http/, "ws");
  const target: Target = {
    name: "umbra",
    url: (id) => `${ws}/mqtt/${id}`,
    password: (id) => tokens.get(id),
    brokerPid: hub.child.pid,
  };
  return { hub, dir, target, subId, pubIds };
}

// --- Aedes -------------------------------------------------------------------------------
export async function startAedes(): Promise<{ target: Target; close: () => Promise<void> }> {
  const broker = new Aedes();
  const port = await freePort();
  const wss = new WebSocketServer({ host: "127.0.0.1", port });
  wss.on("connection", (socket) => {
    broker.handle(createWebSocketStream(socket));
  });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", () => resolve());
    wss.once("error", reject);
  });
  const target: Target = { name: "aedes", url: () => `ws://127.0.0.1:${port}`, password: () => undefined };
  const close = async () => {
    for (const s of wss.clients) s.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  return { target, close };
}

