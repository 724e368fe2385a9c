/**
 * Crash durability, driven from outside: devices publish QoS 1 telemetry (both MQTT paths and the
 * JSON WebSocket) and channel messages (both MQTT paths) that an app's persistent session subscribes to, update shadows (MQTT and
 * REST), and an app sends QoS 1 commands to offline devices with persistent sessions; mid-run the
 * hub's workerd is killed with SIGKILL and the hub restarted on the same state. Afterwards every
 * acknowledged write must be there: each PUBACKed telemetry message as a stored row, each
 * PUBACKed message at the subscriber (and each PUBCOMPed QoS 2 one, from clients that keep their
 * session across the crash and resend what was unfinished, exactly once), each acknowledged shadow write in the version, each
 * accepted command delivered once the device reconnects; a message twice only as QoS 1 allows
 * (a resend, marked DUP).
 * Used by test/e2e/crash.test.ts (small) and `npm run soak -- crash` (long).
 */
import type { MqttClient } from "mqtt";
import { mapLimit } from "./admin";
import { umbraApp, umbraDevice } from "./brokers";
import { AckLog, channelWriter, commander, jsonTelemetryWriter, mqttShadowWriter, resendingWriter, restShadowWriter, telemetryWriter, type Writer } from "./crash-load";
import type { LocalHub } from "./hub";
import { connectMqtt, endAll } from "./mqtt-clients";
import { TelemetryWatch, type WatchReport } from "./crash-watch";
import { ids } from "./mqtt-scenario";

/** Sizes of a crash run. */
export interface CrashPlan {
  /** Telemetry devices per path (MQTT direct, MQTT relay, JSON WebSocket); as many again publish to a channel per MQTT path. */
  telemetryDevices: number;
  /** Unacknowledged telemetry publishes per device. */
  inflight: number;
  /** Shadow writers per kind (MQTT reported, REST desired). */
  shadowDevices: number;
  /** Offline devices receiving commands. */
  commandDevices: number;
  /** Load time before each SIGKILL, ms (a function for randomized soaks). */
  loadMs: number | (() => number);
  /** Kill/restart cycles. */
  crashes: number;
  /** The subscriber's receive maximum (4): the smaller, the more waits in its session's queue. */
  watchWindow?: number;
  /** Subscriber sessions (1); more than one subscribe as a shared group (`$share/…`). */
  watchGroup?: number;
  /**
   * QoS 2 publishers per MQTT path that keep their client through every kill (1). They publish
   * while the subscriber is away, so its offline queue must hold that (`MQTT_MAX_QUEUED` drops the
   * excess by design): use 0 on a hub with a tiny queue limit.
   */
  resending?: number;
}

/** What a crash run found; `ok` when nothing acknowledged went missing. */
export interface CrashReport {
  ok: boolean;
  crashes: number;
  killed: number[];
  /** `overJson`: how many of the acknowledged came over the JSON WebSocket. */
  telemetry: { acked: number; overJson: number; missing: number; storedDuplicates: number; sample: string[] };
  /** The subscriber to telemetry and the channel: every acknowledged message delivered, none twice without DUP. */
  subscriber: WatchReport;
  shadows: { acked: number; missing: number; sample: string[] };
  commands: { accepted: number; delivered: number; missing: number; duplicates: number; excessDuplicates: number; sample: string[] };
  /** Writes that failed (expected around a crash: never acknowledged, so never counted). */
  unackedErrors: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the plan against a started hub; leaves it running (restarted) for the caller to dispose. */
export async function crashRun(hub: LocalHub, plan: CrashPlan, say: (s: string) => void = () => {}): Promise<CrashReport> {
  const run = `crash-${Date.now().toString(36)}`;
  const tmDirect = ids(`${run}-tmd`, plan.telemetryDevices);
  const tmRelay = ids(`${run}-tmr`, plan.telemetryDevices);
  const tmJson = ids(`${run}-tmj`, plan.telemetryDevices);
  const chDirect = ids(`${run}-chd`, plan.telemetryDevices);
  const chRelay = ids(`${run}-chr`, plan.telemetryDevices);
  const q2Direct = ids(`${run}-q2d`, plan.resending ?? 1);
  const q2Relay = ids(`${run}-q2r`, plan.resending ?? 1);
  const shMqtt = ids(`${run}-shm`, plan.shadowDevices);
  const shRest = ids(`${run}-shr`, plan.shadowDevices);
  const cmd = ids(`${run}-cmd`, plan.commandDevices);
  say("provisioning");
  const tokens = await hub.admin.createDevices([...tmDirect, ...tmRelay, ...tmJson, ...chDirect, ...chRelay, ...q2Direct, ...q2Relay, ...shMqtt, ...shRest, ...cmd]);
  const channel = `${run}-ch`;
  await hub.admin.createChannel(channel, [...chDirect, ...chRelay, ...q2Direct, ...q2Relay]);
  const ep = (id: string, path: "direct" | "relay") => umbraDevice(hub, id, tokens.get(id) ?? "", path);
  const persistent = { clean: false } as const;

  // Command targets: a persistent session with its subscription, then offline.
  await mapLimit(cmd, 8, async (id) => {
    const c = await connectMqtt(ep(id, "direct"), persistent);
    await c.subscribeAsync(`devices/${id}/commands/#`, { qos: 1 });
    await endAll([c]);
  });

  const members = Array.from({ length: Math.max(1, plan.watchGroup ?? 1) }, (_, i) => umbraApp(hub, `${run}-watch${i ? `-${i}` : ""}`));
  const watch = await TelemetryWatch.start(members, run, channel, plan.watchWindow ?? 4);
  const log = new AckLog();
  const killed: number[] = [];
  // QoS 2 publishers that live through every crash (the other writers start again each round).
  const resending = await Promise.all([
    ...q2Direct.map((id) => resendingWriter(ep(id, "direct"), run, channel, plan.inflight, log)),
    ...q2Relay.map((id) => resendingWriter(ep(id, "relay"), run, channel, plan.inflight, log)),
  ]);
  for (let round = 0; round < plan.crashes; round++) {
    say(`load, then crash ${round + 1}/${plan.crashes}`);
    const writers: Writer[] = await Promise.all([
      ...tmDirect.map((id, i) => telemetryWriter(ep(id, "direct"), run, i, plan.inflight, log)),
      ...tmRelay.map((id, i) => telemetryWriter(ep(id, "relay"), run, plan.telemetryDevices + i, plan.inflight, log)),
      ...tmJson.map((id, i) => jsonTelemetryWriter(hub.wsUrl, id, tokens.get(id) ?? "", run, 2 * plan.telemetryDevices + i, plan.inflight, log)),
      ...chDirect.map((id) => channelWriter(ep(id, "direct"), run, channel, plan.inflight, log)),
      ...chRelay.map((id) => channelWriter(ep(id, "relay"), run, channel, plan.inflight, log)),
      ...shMqtt.map((id, i) => mqttShadowWriter(ep(id, i % 2 ? "relay" : "direct"), log)),
      ...shRest.map(async (id) => restShadowWriter(hub.admin, id, log)),
      ...(cmd.length ? [commander(umbraApp(hub, `${run}-app`), cmd, log)] : []),
    ]);
    await sleep(typeof plan.loadMs === "function" ? plan.loadMs() : plan.loadMs);
    killed.push(...(await hub.crash()));
    await Promise.all(writers.map((w) => w.stop()));
    say(`restarting after crash ${round + 1}`);
    await hub.start();
    await watch.connect();
  }
  await Promise.all(resending.map((w) => w.stop()));
  say("checking");
  // Before anything wakes the devices (the checks below read each one): what a device's object
  // still owed the subscriber when the hub died must go out on its own, from the alarm its outbox
  // armed, as for a device that never comes back.
  const subscriber = await watch.report(new Map([...log.telemetry, ...log.channel]), 30_000);
  const found = await verify(hub, log, run, { tm: [...tmDirect, ...tmRelay, ...tmJson], json: tmJson, shMqtt, shRest, cmd, ep });
  const ok = found.ok && subscriber.missing === 0 && subscriber.excessDuplicates === 0;
  return { ...found, ok, subscriber, crashes: plan.crashes, killed, unackedErrors: log.errors };
}

type Groups = { tm: string[]; json: string[]; shMqtt: string[]; shRest: string[]; cmd: string[]; ep: (id: string, path: "direct" | "relay") => ReturnType<typeof umbraDevice> };

async function verify(hub: LocalHub, log: AckLog, run: string, g: Groups): Promise<Omit<CrashReport, "crashes" | "killed" | "unackedErrors" | "subscriber">> {
  const telemetry = { acked: 0, overJson: 0, missing: 0, storedDuplicates: 0, sample: [] as string[] };
  for (const id of g.json) telemetry.overJson += log.telemetry.get(id)?.size ?? 0;
  await mapLimit(g.tm, 4, async (id) => {
    const acked = log.telemetry.get(id) ?? new Set<number>();
    const counts = new Map<number, number>();
    for (const row of await hub.admin.telemetry(id)) {
      if (row.data.c === run && typeof row.data.s === "number") counts.set(row.data.s, (counts.get(row.data.s) ?? 0) + 1);
    }
    telemetry.acked += acked.size;
    for (const s of acked) {
      if (!counts.has(s)) {
        telemetry.missing++;
        if (telemetry.sample.length < 10) telemetry.sample.push(`${id}#${s}`);
      }
    }
    for (const n of counts.values()) telemetry.storedDuplicates += n - 1;
  });

  const shadows = { acked: 0, missing: 0, sample: [] as string[] };
  const expectVersion = async (id: string, atLeast: number) => {
    const doc = await hub.admin.shadow(id).catch(() => ({ version: 0 }));
    shadows.acked += atLeast;
    if (doc.version < atLeast) {
      shadows.missing += atLeast - doc.version;
      if (shadows.sample.length < 10) shadows.sample.push(`${id}: version ${doc.version} < acknowledged ${atLeast}`);
    }
  };
  // MQTT: one write in flight at a time, each accepted write is one version.
  for (const id of g.shMqtt) await expectVersion(id, log.mqttShadow.get(id) ?? 0);
  for (const id of g.shRest) await expectVersion(id, log.restShadow.get(id) ?? 0);

  const commands = await collectCommands(g, log);
  const ok = telemetry.missing === 0 && shadows.missing === 0 && commands.missing === 0 && commands.excessDuplicates === 0;
  return { ok, telemetry, shadows, commands };
}

/** Reconnects each command target to its persistent session and collects what was queued. */
async function collectCommands(g: Groups, log: AckLog): Promise<CrashReport["commands"]> {
  const out = { accepted: 0, delivered: 0, missing: 0, duplicates: 0, excessDuplicates: 0, sample: [] as string[] };
  const clients: MqttClient[] = [];
  const got = new Map<string, Map<number, { n: number; undup: number }>>();
  try {
    for (const id of g.cmd) {
      const seen = new Map<number, { n: number; undup: number }>();
      got.set(id, seen);
      const c = await connectMqtt(g.ep(id, "direct"), { clean: false }, (_t, payload, packet) => {
        const k = (JSON.parse(payload.toString()) as { k?: number }).k;
        if (typeof k !== "number") return;
        const e = seen.get(k) ?? { n: 0, undup: 0 };
        e.n++;
        if (!packet.dup) e.undup++;
        seen.set(k, e);
      });
      clients.push(c);
    }
    const all = () => g.cmd.every((id) => [...(log.commands.get(id) ?? [])].every((k) => got.get(id)?.has(k)));
    for (const until = Date.now() + 30_000; !all() && Date.now() < until; ) await sleep(100);
    await sleep(500); // late duplicates
  } finally {
    await endAll(clients, true);
  }
  for (const id of g.cmd) {
    const accepted = log.commands.get(id) ?? new Set<number>();
    const seen = got.get(id) ?? new Map();
    out.accepted += accepted.size;
    for (const k of accepted) {
      if (!seen.has(k)) {
        out.missing++;
        if (out.sample.length < 10) out.sample.push(`${id} command ${k} never delivered`);
      }
    }
    for (const e of seen.values()) {
      out.delivered++;
      out.duplicates += e.n - 1;
      // QoS 1 may redeliver, but a redelivery carries DUP: two copies without it are a bug.
      out.excessDuplicates += Math.max(0, e.undup - 1);
    }
  }
  return out;
}
