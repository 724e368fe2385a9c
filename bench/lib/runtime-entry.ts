/**
 * The `wrangler dev` runtime's own HTTP entrance. Locally, wrangler's dev proxy owns the public
 * port and relays every request and WebSocket message to the runtime's entry socket, which
 * workerd opens on a port of its own choosing; deployed, there is no such hop (Cloudflare's edge
 * hands connections to the Worker). The MQTT benchmarks connect here: the relay is a second
 * loopback connection per client and a process of its own competing for the cores, and it
 * delays one-way flows (QoS 0 `mqtt-pair` stalled ~200 ms at a time through it, never without
 * it). `--via-dev-proxy` measures through it. Linux only: the runtime's sockets come from /proc.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { runtimeProcesses } from "./cpu";

/** Ports on which process `pid` listens (TCP over IPv4), from /proc. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  // /proc/<pid>/net/tcp rows: sl local_address rem_address st ... inode (the 10th field); st 0A = LISTEN
  return readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === "0A" && inodes.has(f[9] ?? ""))
    .map((f) => parseInt((f[1] ?? "").split(":")[1] ?? "", 16));
}

/**
 * The runtime's entry URL (`http://127.0.0.1:<port>`) under the wrangler process `rootPid`: of
 * the ports it listens on (entry, inspector, debug), the one where the hub answers `/health`.
 */
export async function runtimeEntryUrl(rootPid: number | undefined): Promise<string> {
  for (const runtime of runtimeProcesses(rootPid)) {
    for (const port of listeningPorts(runtime.pid)) {
      const url = `http://127.0.0.1:${port}`;
      try {
        const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        const body: unknown = r.ok ? await r.json() : null;
        if (typeof body === "object" && body !== null && "status" in body && body.status === "ok") return url;
      } catch {
        // not an HTTP port, or not ours
      }
    }
  }
  throw new Error("the runtime's entry port was not found under wrangler dev (is /proc readable?)");
}
