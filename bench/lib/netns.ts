/**
 * Runs a measurement against mosquitto inside a network namespace of its own (`unshare -n`,
 * with only `lo` up), because Debian's mosquitto binds its websockets listener to every
 * interface whatever the config says. Broker and load both run in the namespace, in a child
 * process (netns-peer.ts) that prints its figures as one JSON line.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mosquittoInstalled } from "./brokers";

/** Why mosquitto cannot be measured here, or null when it can. */
export function mosquittoUnavailable(): string | null {
  if (!mosquittoInstalled()) return "mosquitto is not installed (Debian: apt-get install mosquitto)";
  const probe = spawnSync("unshare", ["-n", "--", "true"], { stdio: "ignore" });
  if (probe.error !== undefined || probe.status !== 0) {
    return "cannot run `unshare -n` (needs root or user namespaces); mosquitto's websockets listener would bind every interface, so it is skipped";
  }
  return null;
}

/**
 * Runs `bench/<scenario>.ts`'s `measure` against mosquitto in a fresh network namespace.
 * Resolves with what the child printed on its last stdout line (parsed JSON).
 */
export function measureInNetns(scenario: string, argv: string[], onProgress: (line: string) => void): Promise<unknown> {
  const entry = fileURLToPath(new URL("./netns-peer.ts", import.meta.url));
  const child = spawn("unshare", ["-n", "--", process.execPath, "--import", "tsx", entry, scenario, ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d: Buffer) => {
    err += d;
    const last = String(d).split(/[\r\n]/).filter((l) => l.trim()).pop();
    if (last) onProgress(last.replace(/\x1b\[K/g, ""));
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !last) return reject(new Error(`mosquitto run failed (exit ${code}): ${err.trim().split("\n").slice(-5).join(" | ")}`));
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`mosquitto run printed no JSON: ${last.slice(0, 200)}`));
      }
    });
  });
}
