/**
 * A CPU profile of the hub's workerd isolate while a benchmark runs: the Chrome DevTools
 * protocol spoken by the inspector `wrangler dev --inspector-port` exposes (`Profiler.start` /
 * `Profiler.stop`). Writes the `.cpuprofile` (open it in Chrome DevTools) and returns the top
 * functions by self time and by inclusive time, as shares of all samples.
 */
import { writeFileSync } from "node:fs";
import WebSocket from "ws";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** One row of a profile summary: where, and its share of the samples (0..1). */
export interface ProfileRow {
  fn: string;
  self: number;
  total: number;
}

/** A started profile; `stop` ends it, writes `file` and summarizes. */
export interface RunningProfile {
  stop(file: string): Promise<{ top: ProfileRow[]; busy: number }>;
}

/** Attaches to the inspector on `port` (the first target: the hub's worker isolate) and starts sampling. */
export async function startProfile(port: number, intervalUs = 200): Promise<RunningProfile> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  return {
    async stop(file) {
      const { profile } = (await call("Profiler.stop")) as { profile: CpuProfile };
      ws.close();
      writeFileSync(file, JSON.stringify(profile));
      return summarize(profile);
    },
  };
}

/** Self and inclusive shares per function (by name and source position), the busiest first. */
export function summarize(profile: CpuProfile, top = 30): { top: ProfileRow[]; busy: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const name = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const idle = new Set(["(idle)", "(program)"]);
  let idleHits = 0;
  // Inclusive: a function counts once per sample even when it recurses.
  const walk = (id: number, stack: Set<string>): number => {
    const n = byId.get(id)!;
    const key = name(n);
    let hits = n.hitCount ?? 0;
    if (idle.has(n.callFrame.functionName)) idleHits += hits;
    self.set(key, (self.get(key) ?? 0) + hits);
    const inner = new Set(stack).add(key);
    for (const c of n.children ?? []) hits += walk(c, inner);
    if (!stack.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    return hits;
  };
  walk(profile.nodes[0]!.id, new Set());
  const rows = [...inclusive.entries()]
    .filter(([k]) => !k.startsWith("(root)"))
    .map(([fn, t]) => ({ fn, self: (self.get(fn) ?? 0) / total, total: t / total }))
    .sort((a, b) => b.self - a.self)
    .slice(0, top);
  return { top: rows, busy: 1 - idleHits / total };
}
