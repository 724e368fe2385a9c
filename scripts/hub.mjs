// Starting and stopping a local hub (migrations + `wrangler dev`), shared by `npm start` and the
// end-to-end tests so both run the hub the same way.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");

/** Environment that keeps wrangler off the internet (no metrics, no cf fetch, no update check). */
export function offlineEnv(extra = {}) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_SANITIZE: "true",
    NO_UPDATE_NOTIFIER: "1",
    ...extra,
  };
}

/** A random secret: 32 bytes, base64url (43 characters). */
export const randomSecret = () => randomBytes(32).toString("base64url");

/** The shortest ADMIN_TOKEN and JWT_SECRET the hub takes (workers/auth: MIN_ADMIN_TOKEN_LENGTH, MIN_JWT_SECRET_LENGTH). */
export const MIN_SECRET_LENGTH = 32;

/**
 * Makes sure a .dev.vars file holds ADMIN_TOKEN and JWT_SECRET (the key that signs OAuth access
 * tokens, never derived from the admin token), adding a random value for each one missing or
 * empty and keeping everything else in the file; the file is made private (0600), since it holds
 * them. Read as wrangler reads it (dotenv rules: the last value wins, quotes, `export`, comments).
 * Returns the values, whether each was created, and the names of those too short to be used.
 */
export function ensureDevVars(file = join(root, ".dev.vars")) {
  let text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const values = parseEnv(text);
  const set = (name) => {
    const value = randomSecret();
    // An empty definition goes, so that no line says otherwise.
    text = text.replace(new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=.*(?:\\r?\\n|$)`, "gm"), "");
    text = `${text}${text && !text.endsWith("\n") ? "\n" : ""}${name}="${value}"\n`;
    return value;
  };
  const created = !values.ADMIN_TOKEN;
  const token = created ? set("ADMIN_TOKEN") : values.ADMIN_TOKEN;
  const jwtCreated = !values.JWT_SECRET;
  if (jwtCreated) set("JWT_SECRET");
  if (created || jwtCreated) writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode when written
  const vars = parseEnv(text);
  const short = ["ADMIN_TOKEN", "JWT_SECRET"].filter((n) => (vars[n] ?? "").length < MIN_SECRET_LENGTH);
  return { token, created, jwtCreated, short, vars };
}

/** Applies the D1 migrations to the local database under `persistTo`. */
export function applyMigrations(persistTo) {
  const r = spawnSync(process.execPath, [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    cwd: root,
    env: offlineEnv({ CI: "true" }),
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`migrations failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Starts `wrangler dev` on 127.0.0.1:`port`, resolving once /health answers.
 * @returns {Promise<{ url: string, child: import("node:child_process").ChildProcess, stop: () => Promise<void> }>}
 */
/**
 * Whether the hub's runtime (the workerd that runs the Worker; wrangler's dev proxy is another
 * workerd, on the public port) is running in process group `group`, from /proc: null where there
 * is no /proc. The runtime listens on a port of its own choosing (`entry=127.0.0.1:0`).
 */
export function runtimeRunning(group) {
  let pids;
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  return pids.some((pid) => {
    try {
      // /proc/<pid>/stat: pid (comm) state ppid pgrp …; comm may hold spaces, so split after ")"
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== group || !stat.includes("(workerd)")) return false;
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("--socket-addr=entry=127.0.0.1:0");
    } catch {
      return false; // gone meanwhile
    }
  });
}

export async function startWrangler({ port, persistTo, envFile, stdio = process.env.UMBRA_HUB_STDIO === "inherit" ? "inherit" : "pipe", vars = {}, inspectorPort = 0 }) {
  // wrangler.toml's [assets] folder must exist, and should hold the console as its sources are
  // now (the build skips itself when nothing changed since the last one).
  const built = spawnSync(process.execPath, [join(root, "scripts", "build-console.mjs")], { cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (built.status !== 0) throw new Error(`console build failed:\n${built.stdout}\n${built.stderr}`);
  // Another server on the port would answer the /health check below and pass for this hub.
  if (!(await portFree(port))) throw new Error(`127.0.0.1:${port} is already in use (another hub?): stop it, or choose another port (PORT=…)`);
  const args = [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persistTo,
    "--show-interactive-dev-session=false", "--inspector-port", String(inspectorPort)];
  if (envFile) args.push("--env-file", envFile);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  // wrangler runs in a process group of its own (wrangler.js → its CLI → two workerd), so that the
  // whole tree can be stopped together, and is killed with us however we exit (an uncaught error
  // included): signalling wrangler.js alone left its CLI and workerd running, orphaned.
  const child = spawn(process.execPath, args, { cwd: root, env: offlineEnv(), stdio: ["ignore", stdio, stdio], detached: true });
  const signalTree = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  const killTree = () => signalTree("SIGKILL");
  process.on("exit", killTree);
  // wrangler.js gone (killed with -9, say): what it started (its CLI, both workerd) would run on,
  // orphaned, holding the port; they go with it.
  child.once("exit", () => {
    process.off("exit", killTree);
    killTree();
  });
  let output = "";
  if (stdio === "pipe") {
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killTree();
      throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(killTree, 10_000);
      child.once("exit", () => {
        clearTimeout(timer);
        signalTree("SIGKILL"); // anything wrangler left behind
        resolve();
      });
      signalTree("SIGINT");
    });
  return { url, child, stop, output: () => output };
}

/** A port nobody listens on right now, on 127.0.0.1. */
/** Resolves whether 127.0.0.1:`port` can be listened on now (false: something already holds it). */
export function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.unref();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
