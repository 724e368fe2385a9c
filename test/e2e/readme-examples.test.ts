/**
 * The README's SDK and CLI examples, run as written: the code blocks tagged `readme-test=<name>`
 * are taken from README.md itself, so the README and this test cannot drift apart.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, ok } from "../../sdk/node";
import { root } from "../../scripts/hub.mjs";
import { adminToken, eventually, hubUrl } from "./client";

/** Every ```<lang> readme-test=<name> block of README.md, by name. */
function examples(): Map<string, string> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const found = new Map<string, string>();
  for (const m of readme.matchAll(/^```\w+ readme-test=([\w-]+)\n([\s\S]*?)^```$/gm)) found.set(m[1]!, m[2]!);
  return found;
}

/** A running example: its output so far, and its end. */
function run(cmd: string, args: string[], env: Record<string, string>) {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, UMBRA_URL: hubUrl(), UMBRA_TOKEN: adminToken(), FORCE_COLOR: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d) => (out.stdout += d));
  child.stderr.on("data", (d) => (out.stderr += d));
  const done = new Promise<number | null>((r) => child.on("close", r));
  return { child, out, done };
}

/** Writes a TypeScript example inside the checkout (so `umbra/sdk` resolves) and runs it with tsx. */
function runTs(name: string, code: string, env: Record<string, string> = {}) {
  const dir = join(root, ".e2e-state", "readme");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, code);
  return run(process.execPath, ["--import", "tsx", file], env);
}

describe("README examples", () => {
  const blocks = examples();

  it("finds the SDK and CLI examples", () => {
    expect([...blocks.keys()].sort()).toEqual(["app", "cli", "device"]);
  });

  it("SDK: the app registers desk-lamp and asks for red, the lamp obeys, answers ping and completes blink", async () => {
    const app = runTs("app", blocks.get("app")!);
    const token = await eventually(async () => /DEVICE_TOKEN=(\S+)/.exec(app.out.stdout)?.[1] ?? (app.child.exitCode !== null ? "exited" : null), 30_000);
    expect(token, app.out.stderr).not.toBe("exited");
    const device = runTs("device", blocks.get("device")!, { DEVICE_TOKEN: token });
    expect(await app.done, app.out.stderr).toBe(0);
    expect(app.out.stdout).toContain('ping answered 200 {"pong":{"hello":1}}');
    const cmdId = /queued (\S+)/.exec(app.out.stdout)?.[1];
    expect(cmdId).toBeDefined();
    const admin = new App({ url: hubUrl(), token: adminToken() });
    const done = await eventually(async () => {
      const c = await ok(admin.api.GET("/v1/devices/{id}/commands/{cmdId}", { params: { path: { id: "desk-lamp", cmdId: cmdId! } } }));
      return c.status === "completed" && c;
    });
    expect(done.result).toEqual({ blinked: true });
    const rows = await ok(admin.api.GET("/v1/devices/{id}/telemetry", { params: { path: { id: "desk-lamp" } } }));
    expect(rows.items.map((r) => ("data" in r ? r.data : r))).toEqual([{ temp: 21.5 }]);
    device.child.kill("SIGINT");
    expect(await device.done, device.out.stderr).toBe(0);
    expect(device.out.stdout).toContain("asked for { color: 'red' }");
    expect(device.out.stdout).toContain("command blink { times: 3 }");
  }, 120_000);

  it("CLI: the session in the README runs and exits 0", async () => {
    const cli = run("bash", ["-e", "-c", blocks.get("cli")!], {});
    expect(await cli.done, `${cli.out.stdout}\n${cli.out.stderr}`).toBe(0);
    expect(cli.out.stdout).toMatch(/^created fan-1$/m);
    expect(cli.out.stdout).toMatch(/^completed cmd_\S+ \(reboot\): \{"ok":true,"device":"fan-1","command":"reboot"\}$/m);
    expect(cli.out.stdout).toContain('"method": "status"');
    expect(cli.out.stdout).toMatch(/"reported": \{\s+"speed": 2\s+\}/);
    expect(cli.out.stdout).toMatch(/^1\/1 json devices connected/m);
    expect(cli.out.stdout).toMatch(/0 disconnects, 0 reconnects, 0 errors$/m);
    expect(cli.out.stdout).toMatch(/^deleted fan-1$/m);
  }, 150_000);
});
