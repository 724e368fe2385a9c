/**
 * Runs a page in Debian's headless Chromium and reads it over the DevTools protocol (no
 * playwright needed): `evaluate` an expression until a condition holds, then close the browser.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { freePort } from "../../scripts/hub.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "chromium";

/** Opens `html` as a file page and polls `expression` until `done(value)`; returns the last value. */
export async function inChromium(html: string, expression: string, done: (value: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "umbra-chromium-"));
  const page = join(dir, "page.html");
  writeFileSync(page, html);
  const port = await freePort();
  const browser = spawn(CHROMIUM, ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${join(dir, "profile")}`, `--remote-debugging-port=${port}`, `file://${page}`], { stdio: "ignore" });
  const deadline = Date.now() + timeoutMs;
  try {
    let target: string | undefined;
    while (target === undefined) {
      if (Date.now() > deadline) throw new Error("Chromium opened no page");
      try {
        const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; url: string; webSocketDebuggerUrl: string }[];
        target = list.find((t) => t.type === "page" && t.url.startsWith("file://"))?.webSocketDebuggerUrl;
      } catch {
        // not listening yet
      }
      if (target === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    const ws = new WebSocket(target);
    await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
    let id = 0;
    const evaluate = (expr: string) =>
      new Promise<string>((resolve) => {
        const mine = ++id;
        const onMessage = (data: WebSocket.RawData) => {
          const m = JSON.parse(String(data)) as { id?: number; result?: { result?: { value?: unknown } } };
          if (m.id !== mine) return;
          ws.off("message", onMessage);
          resolve(String(m.result?.result?.value ?? ""));
        };
        ws.on("message", onMessage);
        ws.send(JSON.stringify({ id: mine, method: "Runtime.evaluate", params: { expression: expr, returnByValue: true } }));
      });
    let value = "";
    while (!done((value = await evaluate(expression)))) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    ws.close();
    return value;
  } finally {
    browser.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}
