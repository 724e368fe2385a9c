/**
 * A hub started by `startWrangler` (npm start, the benchmarks, these tests) goes away with the
 * process that started it, however that process ends: stopped, or dying of an uncaught error.
 * Before, an error in a benchmark left `wrangler dev` and both its workerd running, orphaned,
 * holding ports and memory and skewing every later measurement on the machine.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const hubModule = pathToFileURL(join(__dirname, "../../scripts/hub.mjs")).href;

/**
 * Pids of live processes of one hub: those whose command line mentions `marker` (its state folder:
 * wrangler and its CLI) and those in the process group of wrangler's pid `group` (its workerd).
 */
function hubProcesses(marker: string, group: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp === group || readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Runs a Node process that starts a hub in `dir` and then does `then`; resolves when it exits. */
function runStarter(dir: string, then: string): Promise<{ code: number | null; output: string }> {
  const script = `import { startWrangler, freePort } from ${JSON.stringify(hubModule)};
const hub = await startWrangler({ port: await freePort(), persistTo: ${JSON.stringify(join(dir, "state"))} });
console.log("hub up", hub.child.pid);
${then}`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

/** Script text defining `groupPids(g)`: the live (not zombie) processes of process group `g`, from /proc. */
const GROUP_PIDS = `const { readdirSync, readFileSync } = await import("node:fs");
const groupPids = (g) => readdirSync("/proc").filter((d) => /^\\d+$/.test(d)).map(Number).filter((pid) => {
  try {
    const stat = readFileSync(\`/proc/\${pid}/stat\`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === g && !stat.includes(") Z ");
  } catch { return false; }
});`;

/** Starts a hub in a new folder, runs `then` (with `groupPids`) in its starter, and answers what the starter printed once it exited 0. */
async function starterSays(then: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "umbra-hub-starter-"));
  let group = -1;
  try {
    const { code, output } = await runStarter(dir, `${GROUP_PIDS}\n${then}`);
    group = Number(/hub up (\d+)/.exec(output)?.[1] ?? -1);
    expect(code, output).toBe(0);
    return output;
  } finally {
    for (const pid of hubProcesses(dir, group)) process.kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function settled(marker: string, group: number): Promise<number[]> {
  // Killed processes are reaped by init a moment after the signal.
  for (let i = 0; i < 20 && hubProcesses(marker, group).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  return hubProcesses(marker, group);
}

describe.skipIf(process.platform !== "linux")("the hub's processes", () => {
  it.each([
    ["stopped the hub", "await hub.stop();", 0],
    ["died of an uncaught error", 'throw new Error("boom");', 1],
  ])("are all gone once their starter %s", async (_how, then, exitCode) => {
    const dir = mkdtempSync(join(tmpdir(), "umbra-hub-process-"));
    let group = -1;
    try {
      const { code, output } = await runStarter(dir, then);
      group = Number(/hub up (\d+)/.exec(output)?.[1] ?? -1);
      expect(group, output).toBeGreaterThan(0);
      expect(code).toBe(exitCode);
      expect(await settled(dir, group)).toEqual([]);
    } finally {
      for (const pid of hubProcesses(dir, group)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("tell a dead runtime from a live one although wrangler's proxy keeps the port open (npm start's watch stops on it)", async () => {
    // Before, npm start probed the public port, which the dev proxy holds: a killed runtime went unnoticed.
    const output = await starterSays(`const { runtimeRunning } = await import(${JSON.stringify(hubModule)});
const before = runtimeRunning(hub.child.pid);
for (const pid of groupPids(hub.child.pid)) if (readFileSync(\`/proc/\${pid}/cmdline\`, "utf8").includes("entry=127.0.0.1:0")) process.kill(pid, "SIGKILL");
await new Promise((r) => setTimeout(r, 1000));
console.log("runtime", before, runtimeRunning(hub.child.pid));
await hub.stop();`);
    expect(output).toContain("runtime true false");
  }, 120_000);

  it("go with wrangler when it is killed with -9, while their starter lives on (npm start said the hub was down; it was not)", async () => {
    const output = await starterSays(`process.kill(hub.child.pid, "SIGKILL");
await new Promise((r) => setTimeout(r, 2000));
console.log("left", groupPids(hub.child.pid).length);`);
    expect(output).toContain("left 0");
  }, 120_000);

  it("refuse to start on a port something else holds, instead of taking its /health answer for theirs", async () => {
    const { createServer } = await import("node:http");
    // Another server that answers /health as a hub would (npm start printed "Umbra is listening" for it).
    const other = createServer((_q, r) => r.end('{"ok":true}'));
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const port = (other.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), "umbra-hub-busy-"));
    try {
      const { startWrangler } = (await import(hubModule)) as { startWrangler: (o: { port: number; persistTo: string }) => Promise<unknown> };
      await expect(startWrangler({ port, persistTo: join(dir, "state") })).rejects.toThrow(`127.0.0.1:${port} is already in use`);
    } finally {
      other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("read .dev.vars as wrangler does, replace an empty secret in place, keep the file private, and name secrets too short to use", async () => {
    const { ensureDevVars } = (await import(hubModule)) as { ensureDevVars: (file: string) => { token: string; created: boolean; short: string[] } };
    const dir = mkdtempSync(join(tmpdir(), "umbra-devvars-"));
    const file = join(dir, ".dev.vars");
    const run = (text: string) => {
      writeFileSync(file, text, { mode: 0o644 });
      const r = ensureDevVars(file);
      return { ...r, text: readFileSync(file, "utf8"), mode: statSync(file).mode & 0o777 };
    };
    const long = "L".repeat(40);
    try {
      // Before: the first of two values was printed (wrangler uses the last), quotes and comments kept.
      expect(run(`ADMIN_TOKEN="first"\nADMIN_TOKEN='${long}'\nJWT_SECRET=${long} # signs tokens\n`)).toMatchObject({ token: long, created: false, short: [], mode: 0o600 });
      expect(run(`export ADMIN_TOKEN=${long}\r\nJWT_SECRET="${long}"\r\n`).token).toBe(long);
      // Before: an empty value got a second ADMIN_TOKEN line appended, which broke the README's sed one-liner.
      const empty = run(`ADMIN_TOKEN=""\nGATEWAY_KEY="k"\n`);
      expect(empty.created).toBe(true);
      expect(empty.text.match(/^ADMIN_TOKEN=/gm)).toHaveLength(1);
      expect(empty.text).toContain(`ADMIN_TOKEN="${empty.token}"`);
      expect(empty.text).toContain('GATEWAY_KEY="k"');
      expect(run(`ADMIN_TOKEN="short"\nJWT_SECRET="short"\n`).short).toEqual(["ADMIN_TOKEN", "JWT_SECRET"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

