/** CPU time of a process tree from /proc (Linux), for benchmarks that report CPU next to throughput. */
import { readFileSync, readdirSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime (in ticks) of `rootPid` and all its descendants; 0 where /proc is missing. */
export function treeCpuTicks(rootPid: number | undefined): number {
  if (rootPid === undefined) return 0;
  try {
    const stats = new Map<number, { ppid: number; ticks: number }>();
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let text: string;
      try {
        text = readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
      // after "pid (comm) ": f[0] state, f[1] ppid, f[11] utime, f[12] stime
      stats.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    }
    const inTree = new Set<number>([rootPid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, s] of stats) {
        if (!inTree.has(pid) && inTree.has(s.ppid)) {
          inTree.add(pid);
          grew = true;
        }
      }
    }
    let ticks = 0;
    for (const pid of inTree) ticks += stats.get(pid)?.ticks ?? 0;
    return ticks;
  } catch {
    return 0;
  }
}

/** Measures wall time and CPU (cores) of this process and, optionally, a process tree. */
export function cpuMeter(treePid?: number) {
  const t0 = performance.now();
  const own0 = process.cpuUsage();
  const tree0 = treeCpuTicks(treePid);
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const own = process.cpuUsage(own0);
    const ownCores = (own.user + own.system) / 1e6 / seconds;
    const treeCores = (treeCpuTicks(treePid) - tree0) / CLOCK_TICKS / seconds;
    return { ownCores, treeCores };
  };
}

