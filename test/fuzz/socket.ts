/**
 * Socket-level fuzzing of a running hub: sessions of mutated MQTT (both paths), CoAP and JSON
 * frames from authenticated fuzz devices, while well-behaved devices on every protocol keep
 * sending acknowledged telemetry. The hub must stay up (health answers throughout), the good
 * devices must stay connected and lose nothing. Used by test/e2e/socket-fuzz.test.ts (short)
 * and `npm run fuzz -- --sockets` (long, own hub).
 */
import WebSocket from "ws";
import type { HubAccess } from "../../bench/lib/hub";
import { mapLimit } from "../../bench/lib/admin";
import { SteadyFleet, PROTOCOLS } from "../../bench/lib/steady";
import { ATTACKS, attackFrames, type AttackKind } from "./socket-frames";
import { rngAt } from "./mutate";

/** Sizes of a socket fuzz run. */
export interface SocketFuzzPlan {
  seed: number;
  /** Attack sessions in total (spread over the four kinds). */
  sessions: number;
  /** Most messages in one session after its opening. */
  maxFrames: number;
  /** Sessions at a time (each with its own fuzz device). */
  concurrency: number;
  /** Well-behaved devices per protocol and their sending period. */
  steadyPerProtocol: number;
  periodMs: number;
  /** Attack kinds to use (default all four). */
  kinds?: readonly AttackKind[];
  /**
   * The hub's `GATEWAY_KEY`, if the run may use it: each attack session then names an address of
   * its own (`Forwarded: for=`, as `umbra gateway` does), so the sign-ins its garbage fails count
   * against the attacker's address, not against the loopback address the good devices and the
   * checks share (where, past `AUTH_FAILURE_BURST`, even their right tokens are refused).
   */
  gatewayKey?: string;
}

/** What a run found; `ok` when the hub stayed healthy and the good devices lost nothing. */
export interface SocketFuzzReport {
  ok: boolean;
  seed: number;
  sessions: number;
  frames: number;
  /** How attack sessions ended: close codes by kind, `refused` for upgrades turned down. */
  endings: Record<string, Record<string, number>>;
  healthChecks: number;
  healthFailures: number;
  steady: Record<string, { acked: number; lost: number; errors: number; down: number; firstError?: string }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function urlOf(hub: HubAccess, kind: AttackKind, id: string): { url: string; protocols: string[] } {
  switch (kind) {
    case "mqtt-direct":
      return { url: `${hub.wsUrl}/mqtt/${id}`, protocols: ["mqtt"] };
    case "mqtt-relay":
      return { url: `${hub.wsUrl}/mqtt`, protocols: ["mqtt"] };
    case "coap":
      return { url: `${hub.wsUrl}/.well-known/coap`, protocols: ["coap"] };
    case "json":
      return { url: `${hub.wsUrl}/v1/connect`, protocols: [] };
  }
}

/** One attack session: open, send the frames, then close or drop; resolves with how it ended. */
async function attack(hub: HubAccess, kind: AttackKind, id: string, token: string, seed: number, index: number, plan: SocketFuzzPlan): Promise<{ frames: number; ending: string }> {
  const r = rngAt(seed, index);
  const { frames, asText } = attackFrames(kind, id, token, r, plan.maxFrames);
  const { url, protocols } = urlOf(hub, kind, id);
  const headers: Record<string, string> = kind === "json" ? { authorization: `Bearer ${token}` } : {};
  // 10.x.y.z from the session number: one address per attack session.
  if (plan.gatewayKey) Object.assign(headers, { "umbra-gateway-key": plan.gatewayKey, forwarded: `for=10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}` });
  const ws = new WebSocket(url, protocols, { headers });
  ws.on("message", () => {});
  const closed = new Promise<string>((resolve) => {
    ws.on("close", (code) => resolve(String(code)));
    ws.on("unexpected-response", (_q, res) => resolve(`refused ${res.statusCode}`));
    ws.on("error", () => resolve("error"));
  });
  const opened = await Promise.race([new Promise<boolean>((res) => ws.once("open", () => res(true))), closed.then(() => false)]);
  if (!opened) return { frames: 0, ending: await closed };
  let sent = 0;
  for (const f of frames) {
    if (ws.readyState !== WebSocket.OPEN) break;
    ws.send(asText ? Buffer.from(f).toString("latin1") : f);
    sent++;
    if (r() < 0.3) await sleep(1);
  }
  await Promise.race([closed, sleep(20 + Math.floor(r() * 80))]);
  if (ws.readyState === WebSocket.OPEN) {
    if (r() < 0.3) ws.terminate(); // vanish without a close frame, as paho does
    else ws.close(1000);
  }
  return { frames: sent, ending: await Promise.race([closed, sleep(5000).then(() => "no-close")]) };
}

/** Runs the plan against `hub`; `say` gets progress. */
export async function socketFuzz(hub: HubAccess, plan: SocketFuzzPlan, say: (s: string) => void = () => {}): Promise<SocketFuzzReport> {
  const run = `sfz-${plan.seed.toString(36)}-${Date.now().toString(36)}`;
  const lanes = Array.from({ length: plan.concurrency }, (_, i) => i);
  const kinds = plan.kinds?.length ? plan.kinds : ATTACKS;
  const fuzzIds = kinds.flatMap((kind) => lanes.map((l) => `${run}-fz-${kind}-${l}`));
  const tokens = await hub.admin.createDevices(fuzzIds);
  const fleet = new SteadyFleet(hub, run);
  say("connecting well-behaved devices");
  await fleet.connect(plan.steadyPerProtocol);
  fleet.start(plan.periodMs);

  let healthChecks = 0;
  let healthFailures = 0;
  const health = setInterval(() => {
    healthChecks++;
    void hub.admin.healthy().then((ok) => void (ok || healthFailures++));
  }, 500);

  const endings: SocketFuzzReport["endings"] = {};
  let frames = 0;
  let done = 0;
  try {
    await mapLimit(lanes, plan.concurrency, async (lane) => {
      for (let i = lane; i < plan.sessions; i += plan.concurrency) {
        const kind = kinds[i % kinds.length];
        const id = `${run}-fz-${kind}-${lane}`;
        const res = await attack(hub, kind, id, tokens.get(id) ?? "", plan.seed, i, plan);
        frames += res.frames;
        const byKind = (endings[kind] ??= {});
        byKind[res.ending] = (byKind[res.ending] ?? 0) + 1;
        if (++done % 20 === 0) say(`${done}/${plan.sessions} sessions, ${frames} frames, good devices acked ${fleet.acked}, errors ${fleet.errors}`);
      }
    });
  } finally {
    clearInterval(health);
    await fleet.stop();
  }
  say("counting stored rows of the good devices");
  const lost = await fleet.lost();
  await fleet.close();
  healthChecks++;
  if (!(await hub.admin.healthy())) healthFailures++;

  const steady: SocketFuzzReport["steady"] = {};
  for (const p of PROTOCOLS) {
    const s = fleet.stats.get(p);
    if (s) steady[p] = { acked: s.acked, lost: lost.get(p) ?? 0, errors: s.errors, down: s.down, ...(s.firstError ? { firstError: s.firstError } : {}) };
  }
  const ok = healthFailures === 0 && Object.values(steady).every((s) => s.lost === 0 && s.errors === 0 && s.down === 0 && s.acked > 0);
  return { ok, seed: plan.seed, sessions: done, frames, endings, healthChecks, healthFailures, steady };
}
