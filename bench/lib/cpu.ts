/**
 * CPU time and memory of process trees from /proc (Linux): the hub is `wrangler dev` plus the
 * workerd processes it spawns, so both are summed over the tree under one root pid.
 */
import { readFileSync, readdirSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux
const PAGE_BYTES = 4096;

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
  rssBytes: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // exited meanwhile
  }
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" ");
  // after "pid (comm) ": f[0] state, f[1] ppid, f[11] utime, f[12] stime, f[21] rss (pages)
  return { pid, ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]), rssBytes: Number(f[21]) * PAGE_BYTES };
}

/** Every process in the tree under `rootPid` (root included); empty where /proc is missing. */
export function processTree(rootPid: number | undefined): ProcStat[] {
  if (rootPid === undefined) return [];
  let names: string[];
  try {
    names = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const all = names.map((n) => readStat(Number(n))).filter((s): s is ProcStat => s !== undefined);
  const inTree = new Set<number>([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of all) {
      if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
        inTree.add(s.pid);
        grew = true;
      }
    }
  }
  return all.filter((s) => inTree.has(s.pid));
}

/** utime + stime (in ticks) of `rootPid` and all its descendants; 0 where /proc is missing. */
export function treeCpuTicks(rootPid: number | undefined): number {
  return processTree(rootPid).reduce((n, s) => n + s.ticks, 0);
}

/** Resident memory of the tree in bytes. */
export function treeRssBytes(rootPid: number | undefined): number {
  return processTree(rootPid).reduce((n, s) => n + s.rssBytes, 0);
}

/** Pids of the descendants of `rootPid` whose command name is `comm` (e.g. "workerd"). */
export function descendantsNamed(rootPid: number, comm: string): number[] {
  return processTree(rootPid).filter((s) => s.pid !== rootPid && s.comm === comm).map((s) => s.pid);
}

/**
 * CPU ticks of the tree's workerd runtime: the process that runs the Worker and its objects —
 * what Cloudflare bills — apart from wrangler's local dev proxy (its Node process and the
 * workerd that owns the public port and forwards every connection to the runtime).
 */
export function runtimeCpuTicks(rootPid: number | undefined): number {
  return runtimeProcesses(rootPid).reduce((n, s) => n + s.ticks, 0);
}

/** The tree's workerd runtime (see {@link runtimeCpuTicks}): normally one process. */
export function runtimeProcesses(rootPid: number | undefined): ProcStat[] {
  return processTree(rootPid).filter((s) => s.comm === "workerd" && isRuntime(s.pid));
}

function isRuntime(pid: number): boolean {
  try {
    // The runtime listens on a port of its own choosing; the proxy on the public one.
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("--socket-addr=entry=127.0.0.1:0");
  } catch {
    return false;
  }
}

/** CPU used over a window, from {@link cpuMeter}. */
export interface CpuReading {
  seconds: number;
  /** CPU seconds of this process. */
  ownCpuSeconds: number;
  /** CPU seconds of the metered tree (0 without one). */
  treeCpuSeconds: number;
  /** CPU seconds of the tree's workerd runtime (see {@link runtimeCpuTicks}). */
  runtimeCpuSeconds: number;
}

/**
 * Starts measuring wall time and CPU of this process and, optionally, a process tree; the
 * returned function reads the totals since the start.
 */
export function cpuMeter(treePid?: number): () => CpuReading {
  const t0 = performance.now();
  const own0 = process.cpuUsage();
  const tree0 = treeCpuTicks(treePid);
  const runtime0 = runtimeCpuTicks(treePid);
  return () => {
    const own = process.cpuUsage(own0);
    return {
      seconds: (performance.now() - t0) / 1000,
      ownCpuSeconds: (own.user + own.system) / 1e6,
      treeCpuSeconds: (treeCpuTicks(treePid) - tree0) / CLOCK_TICKS,
      runtimeCpuSeconds: (runtimeCpuTicks(treePid) - runtime0) / CLOCK_TICKS,
    };
  };
}

/** CPU microseconds per message, rounded; null when nothing was sent. */
export function usPerMessage(cpuSeconds: number, messages: number): number | null {
  return messages > 0 ? Math.round((cpuSeconds * 1e6) / messages) : null;
}
