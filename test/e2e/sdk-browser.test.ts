/**
 * The SDK's browser entry (sdk/index.ts) bundles for browsers with no Node built-in and no `ws`
 * (MQTT.js's own browser build); in headless Chromium a Device connects over JSON and MQTT,
 * obeys a delta and sends telemetry that the hub stores, and an App sees it on its event stream.
 */
import { describe, expect, it } from "vitest";
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, ok } from "../../sdk/node";
import { root } from "../../scripts/hub.mjs";
import { adminToken, hubUrl } from "./client";
import { launch } from "./console-browser";

/** What the page runs: one device per protocol; the outcome is written into #out. */
const ENTRY = `
import { App, Device } from "../../sdk/index";
const hub = (globalThis as unknown as { HUB: { url: string; admin: string; devices: Record<string, string> } }).HUB;
const out = document.getElementById("out")!;
(async () => {
  const app = new App({ url: hub.url, token: hub.admin });
  for (const protocol of ["json", "mqtt"] as const) {
    const id = "browser-" + protocol;
    // The app watches over a WebSocket, the token offered as a subprotocol.
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const seen = (async () => {
      for await (const e of app.events(id, { onOpen: opened, transport: "websocket" })) if (e.type === "telemetry") return (e.data as { data: unknown }).data;
    })();
    await open;
    const device = await Device.connect({ url: hub.url, deviceId: id, token: hub.devices[id]!, protocol });
    const version = await new Promise<number>((resolve) => device.onDelta(async (state) => resolve(await device.report(state))));
    await device.sendTelemetry({ from: "chromium", protocol });
    const data = await seen;
    await device.close();
    out.textContent += " " + protocol + ":" + version + ":" + JSON.stringify(data);
  }
  out.textContent += " done";
})().catch((e: Error) => (out.textContent += " error " + e.message));
`;

describe("the SDK in a browser", () => {
  it("bundles without Node modules; in Chromium a Device runs over JSON and MQTT and an App streams its events", async () => {
    const dir = join(root, ".e2e-state", "browser");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "entry.ts"), ENTRY);
    const bundle = await build({ entryPoints: [join(dir, "entry.ts")], bundle: true, format: "iife", platform: "browser", conditions: ["browser"], write: false, metafile: true, logLevel: "silent" });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.filter((f) => /node_modules\/ws\/|^node:|sdk\/node\.ts$/.test(f))).toEqual([]);
    expect(inputs).toContain("node_modules/mqtt/dist/mqtt.esm.js");

    const app = new App({ url: hubUrl(), token: adminToken() });
    const devices: Record<string, string> = {};
    for (const id of ["browser-json", "browser-mqtt"]) {
      devices[id] = (await ok(app.api.POST("/v1/devices", { body: { id } }))).credential.token;
      await ok(app.api.POST("/v1/devices/{id}/shadow", { params: { path: { id } }, body: { state: { desired: { theme: "dark" } } } }));
    }
    const browser = await launch();
    let text: string;
    try {
      const page = await browser.newPage();
      await page.setContent(`<!doctype html><html><body><pre id="out"></pre><script>window.HUB=${JSON.stringify({ url: hubUrl(), admin: adminToken(), devices })};</script></body></html>`);
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
      await page.waitForFunction('/done|error/.test(document.getElementById("out").textContent)', undefined, { timeout: 60_000 });
      text = (await page.textContent("#out")) ?? "";
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
    }
    expect(text.trim()).toBe('json:2:{"from":"chromium","protocol":"json"} mqtt:2:{"from":"chromium","protocol":"mqtt"} done');
    for (const id of ["browser-json", "browser-mqtt"]) {
      const rows = await ok(app.api.GET("/v1/devices/{id}/telemetry", { params: { path: { id } } }));
      expect(rows.items.map((r) => ("data" in r ? r.data : r))).toEqual([{ from: "chromium", protocol: id.slice(8) }]);
    }
  }, 120_000);
});
