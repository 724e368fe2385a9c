/**
 * The gateway as the user runs it — `umbra gateway` in a child process, on free ports, with
 * JSON log lines — plus a small runner for Debian's command-line peers (mosquitto clients,
 * libcoap's coap-client-notls).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { root } from "../../scripts/hub.mjs";

/** One JSON log line of the gateway. */
export type LogLine = Record<string, unknown> & { event: string };

/** A running gateway child process. */
export interface GatewayProcess {
  mqttPort: number;
  coapPort: number;
  /** Every log line so far. */
  lines: LogLine[];
  /** SIGINT, then the exit code once it has stopped. */
  stop(): Promise<number | null>;
}

/** Starts `umbra --json gateway --hub <hub> --mqtt 0 --coap 0 …extra` and waits for both listeners. */
export async function startGateway(hub: string, extra: string[] = []): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [join(root, "cli", "umbra.mjs"), "--json", "gateway", "--hub", hub, "--mqtt", "0", "--coap", "0", ...extra], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  let stderr = "";
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const p of parts) if (p.trim() !== "") lines.push(JSON.parse(p) as LogLine);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const ports = await new Promise<{ mqtt: number; coap: number }>((resolve, reject) => {
    const timer = setInterval(() => {
      const listening = lines.filter((l) => l.event === "gateway.listening");
      const port = (protocol: string) => Number(String(listening.find((l) => l.protocol === protocol)?.address ?? "").split(":").pop());
      if (listening.length === 2) {
        clearInterval(timer);
        resolve({ mqtt: port("mqtt"), coap: port("coap") });
      }
    }, 20);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`the gateway exited (${code}) before listening:\n${stderr}`));
    });
  });
  return {
    mqttPort: ports.mqtt,
    coapPort: ports.coap,
    lines,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill("SIGINT");
  });
}

/** What a finished peer process printed. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A peer process; `done` settles when it exits (killed after `timeoutMs`). */
export function runPeer(cmd: string, args: string[], timeoutMs = 30_000): { child: ChildProcess; output: () => string; done: Promise<Ran> } {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise<Ran>((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, output: () => stdout + stderr, done };
}

/** Runs a peer to its end. */
export function run(cmd: string, args: string[], timeoutMs?: number): Promise<Ran> {
  return runPeer(cmd, args, timeoutMs).done;
}
