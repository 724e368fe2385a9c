/**
 * A hub of our own for benchmarks, soaks and crash tests: `wrangler dev` on its own state
 * folder and admin token (never the e2e suite's hub), that can be stopped, crashed with
 * SIGKILL and started again on the same state and port.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { applyMigrations, freePort, startWrangler, type Hub } from "../../scripts/hub.mjs";
import { Admin } from "./admin";
import { descendantsNamed, processTree } from "./cpu";

/** Lines of wrangler's output that look like trouble. */
export function troubleLines(output: string, max = 20): string[] {
  return output.split("\n").filter((l) => /error|exception|uncaught|✘/i.test(l) && !OWN_PROBE.test(l)).slice(0, max);
}

/**
 * What workerd logs when runtimeEntryUrl's `/health` probe reaches its Cap'n Proto debug port
 * (an HTTP request read as an RPC message of billions of words): our probe, not trouble.
 */
const OWN_PROBE = /RPC connection broken .*incoming RPC message exceeds size limit/;

/** What clients need of a running hub (a {@link LocalHub}, or the e2e suite's shared one). */
export interface HubAccess {
  readonly url: string;
  readonly wsUrl: string;
  readonly adminToken: string;
  readonly admin: Admin;
}

/** Access to a hub someone else started (e.g. the e2e global setup's). */
export function hubAt(url: string, adminToken: string): HubAccess {
  return { url, wsUrl: url.replace(/^http/, "ws"), adminToken, admin: new Admin(url, adminToken) };
}

/** One local hub with its own state folder; `start` it, then use `admin`, `url`, `wsUrl`. */
export class LocalHub implements HubAccess {
  private hub: Hub | undefined;
  private port = 0;
  /** Everything wrangler printed over all runs (for diagnosis after a crash). */
  private pastOutput = "";

  private constructor(
    readonly dir: string,
    readonly adminToken: string,
    private readonly vars: Record<string, string>,
    /** The DevTools inspector's port (for CPU profiles), or 0 for none. */
    readonly inspectorPort = 0,
  ) {}

  /**
   * Makes a temp folder with an admin token and a migrated database (nothing runs yet).
   * @param vars wrangler vars for every start of this hub (e.g. raised rate limits)
   */
  static create(prefix = "umbra-bench-", vars: Record<string, string> = {}, inspectorPort = 0): LocalHub {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const token = randomBytes(32).toString("base64url");
    writeFileSync(join(dir, "vars.env"), `ADMIN_TOKEN="${token}"\n`);
    applyMigrations(join(dir, "state"));
    return new LocalHub(dir, token, vars, inspectorPort);
  }

  /**
   * Runs `fn` against a fresh, started hub of its own, and disposes of it however `fn` ends: for
   * tests that restart the hub or need their own vars.
   * @example await LocalHub.with("umbra-restart-", {}, async (hub) => { ...; await hub.stop(); await hub.start(); ... });
   */
  static async with<T>(prefix: string, vars: Record<string, string>, fn: (hub: LocalHub) => Promise<T>): Promise<T> {
    const hub = LocalHub.create(prefix, vars);
    try {
      await hub.start();
      return await fn(hub);
    } finally {
      await hub.dispose();
    }
  }

  /** Starts wrangler dev (the same port as before after a restart, so clients reconnect to one URL). */
  async start(): Promise<void> {
    if (this.hub) throw new Error("hub already running");
    this.port ||= await freePort();
    this.hub = await startWrangler({ port: this.port, persistTo: join(this.dir, "state"), envFile: join(this.dir, "vars.env"), vars: this.vars, inspectorPort: this.inspectorPort });
  }

  private running(): Hub {
    if (!this.hub) throw new Error("hub not running");
    return this.hub;
  }

  get url(): string {
    return this.running().url;
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, "ws");
  }

  /** The wrangler process: root of the tree whose CPU and memory count as the hub's. */
  get pid(): number | undefined {
    return this.hub?.child.pid;
  }

  get admin(): Admin {
    return new Admin(this.url, this.adminToken);
  }

  /** The workerd processes under wrangler (the runtime that holds the objects). */
  workerdPids(): number[] {
    return this.pid === undefined ? [] : descendantsNamed(this.pid, "workerd");
  }

  /**
   * Kills every workerd under this hub with SIGKILL (no chance to flush anything), then the
   * wrangler tree, so the next `start` finds exactly what the runtime had made durable.
   * @returns the workerd pids that were killed
   */
  async crash(): Promise<number[]> {
    const hub = this.running();
    const killed = this.workerdPids();
    if (killed.length === 0) throw new Error("no workerd process found under wrangler");
    for (const pid of killed) process.kill(pid, "SIGKILL");
    const rest = processTree(hub.child.pid).map((s) => s.pid);
    for (const pid of rest.reverse()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (hub.child.exitCode === null && hub.child.signalCode === null) await new Promise((r) => hub.child.once("exit", r));
    this.pastOutput += hub.output();
    this.hub = undefined;
    return killed;
  }

  /** Stops wrangler gracefully. */
  async stop(): Promise<void> {
    if (!this.hub) return;
    await this.hub.stop();
    this.pastOutput += this.hub.output();
    this.hub = undefined;
  }

  /** What wrangler printed so far, over all runs. */
  output(): string {
    return this.pastOutput + (this.hub?.output() ?? "");
  }

  /** Stops the hub and removes its state folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `dispose`, first printing on stderr whatever wrangler said that looks like trouble. */
  async disposeReporting(): Promise<void> {
    const trouble = troubleLines(this.output());
    if (trouble.length) process.stderr.write(`wrangler reported:\n${trouble.join("\n")}\n`);
    await this.dispose();
  }
}
