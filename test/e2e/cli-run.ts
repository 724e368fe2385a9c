/** Runs the `umbra` command as a user would (`node cli/umbra.mjs …`) against the e2e hub. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { root } from "../../scripts/hub.mjs";
import { adminToken, hubUrl } from "./client";

/** What a run of `umbra` left. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `umbra args…` with UMBRA_URL and UMBRA_TOKEN set for the e2e hub (override with `env`);
 * a run still going after `timeoutMs` is killed (its code is then null).
 * @example const { code, stdout } = await umbra(["--json", "devices", "get", "lamp-1"]);
 */
export function umbra(args: string[], env: Record<string, string | undefined> = {}, timeoutMs?: number): Promise<CliRun> {
  const child = spawn(process.execPath, [join(root, "cli", "umbra.mjs"), ...args], {
    cwd: root,
    env: { ...process.env, UMBRA_URL: hubUrl(), UMBRA_TOKEN: adminToken(), FORCE_COLOR: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** Parses the JSON a `--json` run printed. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}
