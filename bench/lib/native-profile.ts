/**
 * A native CPU profile of the hub's workerd runtime with Linux `perf`, for what the isolate's
 * own profile (profiler.ts) cannot see: the runtime's work per WebSocket message and RPC, SQLite
 * commits, garbage collection, and the kernel's part of `fsync` and socket I/O. `--perf <file>`
 * on a scenario records the runtime process while Umbra is measured (`perf record -g`), writes
 * `<file>` (read it with `perf report -i <file>`) and prints where the samples went.
 */
import { spawn, spawnSync } from "node:child_process";

/** One line of the summary: a share (0..1) of the runtime's on-CPU samples. */
export interface NativeShare {
  name: string;
  share: number;
}

export interface NativeSummary {
  /** Self time by kind of code; the shares add up to 1. */
  categories: NativeShare[];
  /** Inclusive time of a few landmarks (each counts everything below it). */
  landmarks: NativeShare[];
}

/** Kinds of code by symbol (first match wins); everything else is "other". */
const CATEGORIES: readonly (readonly [string, (dso: string, sym: string) => boolean])[] = [
  ["kernel: disk (fsync, block I/O)", (_d, s) => s.startsWith("[k]") && /fsync|blk_|iowrite|io_schedule|bit_wait|ext4|writepages|submit_bio|virtio|folio_wait/.test(s)],
  ["kernel: other (sockets, scheduling, syscalls)", (_d, s) => s.startsWith("[k]")],
  ["SQLite", (_d, s) => /sqlite|[Vv]dbe|[Pp]ager|[Bb]tree|\bwal[A-Z]/.test(s)],
  ["V8: JavaScript (JIT code, builtins, runtime calls)", (d, s) => d.startsWith("[JIT]") || /Builtins_|v8::internal::(Runtime_|Interpreter|Builtin)/.test(s)],
  ["V8: garbage collection", (_d, s) => /Scavenge|v8::internal::Heap::|MarkCompact|Sweeper|Marking|Evacuat|ExternalPointerTable|ExternalEntityTable|cppgc|heap::base/.test(s)],
  ["V8: other (API, handles, objects)", (_d, s) => /v8::/.test(s)],
  ["memory allocation and copies", (_d, s) => /tcmalloc|malloc|\bfree\b|memmove|memcpy|memset/.test(s)],
  ["workerd and KJ (events, I/O, RPC)", (_d, s) => /kj::|capnp|workerd::|jsg/.test(s)],
];

const LANDMARKS: readonly (readonly [string, RegExp])[] = [
  ["SQLite commits (vdbeCommit)", /^vdbeCommit$/],
  ["  of which fsync in the kernel", /^do_fsync$/],
  ["WebSocket reads of accepted sockets (readLoop)", /^workerd::api::WebSocket::readLoop$/],
  ["hibernatable socket events (objects)", /^workerd::api::HibernatableWebSocketCustomEvent::run$/],
  ["RPC calls received (objects)", /^workerd::api::JsRpcTargetBase::callImpl$/],
  ["JavaScript microtasks", /^Builtins_JSRunMicrotasksEntry$/],
];

/** The kind of code a symbol of `perf report --sort dso,sym` belongs to. */
export function categoryOf(dso: string, sym: string): string {
  return CATEGORIES.find(([, test]) => test(dso, sym))?.[0] ?? "other";
}

/** Rows of `perf report --stdio -t '\t'`: the leading percentage columns, then the sort keys. */
export function reportRows(text: string): { shares: number[]; keys: string[] }[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.split("\t").map((f) => f.trim()))
    .map((fields) => {
      const shares = fields.filter((f) => /^\d+(\.\d+)?%$/.test(f)).map((f) => Math.round(parseFloat(f) * 100) / 10_000); // perf prints two decimals
      return { shares, keys: fields.slice(shares.length) };
    });
}

/** Sums self time by category and picks the landmarks' inclusive time from perf's two reports. */
export function summarizeNative(selfReport: string, childrenReport: string): NativeSummary {
  const byCategory = new Map<string, number>();
  for (const { shares, keys } of reportRows(selfReport)) {
    const name = categoryOf(keys[0] ?? "", keys[1] ?? "");
    byCategory.set(name, (byCategory.get(name) ?? 0) + (shares[0] ?? 0));
  }
  const inclusive = new Map<string, number>();
  for (const { shares, keys } of reportRows(childrenReport)) {
    const sym = (keys[0] ?? "").replace(/^\[[.k]\]\s*/, "");
    inclusive.set(sym, Math.max(inclusive.get(sym) ?? 0, shares[0] ?? 0));
  }
  const landmarks = LANDMARKS.map(([name, re]) => ({ name, share: Math.max(0, ...[...inclusive].filter(([s]) => re.test(s)).map(([, v]) => v)) }));
  const categories = [...byCategory].map(([name, share]) => ({ name, share })).sort((a, b) => b.share - a.share);
  return { categories, landmarks };
}

/** Why `perf` cannot record here, or null when it can. */
export function perfUnavailable(): string | null {
  const probe = spawnSync("perf", ["--version"], { encoding: "utf8" });
  return probe.error ? "perf is not installed (Debian: linux-perf)" : null;
}

/** Starts `perf record` on process `pid`; `stop` ends it, writes `file` and summarizes. */
export async function startNativeProfile(pid: number, file: string): Promise<{ stop(): Promise<NativeSummary> }> {
  const child = spawn("perf", ["record", "-e", "cpu-clock", "-F", "999", "-g", "-p", String(pid), "-o", file], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // perf prints nothing when it starts; a quick failure (no permission, no such pid) shows here.
  const early = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 300))]);
  if (early !== "running") throw new Error(`perf record failed: ${stderr.trim()}`);
  return {
    async stop() {
      child.kill("SIGINT");
      await exited;
      const report = (args: string[]) => spawnSync("perf", ["report", "-i", file, "--stdio", "-g", "none", "-t", "\t", ...args], { encoding: "utf8", maxBuffer: 256 << 20 }).stdout;
      return summarizeNative(report(["--no-children", "--sort", "dso,sym"]), report(["--children", "--sort", "sym"]));
    },
  };
}
