/**
 * The web console in a real browser (Debian's Chromium, headless, via playwright-core) against
 * the real `wrangler dev`: sign in, register a device, set desired state and watch the delta
 * clear when a simulated device (a `ws` JSON client) reports, watch telemetry land on the
 * chart; every page is screenshot to test-results/console/ and checked by axe-core.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { adminToken, api, apiJson, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";
import { axe, launch, shoot, signInWithToken, type Browser } from "./console-browser";

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launch();
  page = await browser.newPage();
  await signInWithToken(page, hubUrl(), adminToken());
});

afterAll(async () => {
  await browser?.close();
});

/** Opens a console route (the part after `#/`) and waits for its main heading. */
async function open(route: string, heading: string | RegExp): Promise<void> {
  await page.goto(`${hubUrl()}/console/#/${route}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** Waits until the device page's live stream is open (events from now on reach the page). */
async function streamOpen(): Promise<void> {
  await page.locator('[data-testid="stream"][data-state="open"]').waitFor();
}

/** Screenshots the page and fails on any WCAG 2.1 A/AA violation axe finds. */
async function check(name: string): Promise<void> {
  await shoot(page, name);
  expect(await axe(page), `axe on ${name}`).toEqual([]);
}

describe("console", () => {
  let token = "";

  it("registers a device and shows its token once", async () => {
    await open("devices", "Devices");
    await page.getByLabel("Device id").fill("con-lamp");
    await page.getByLabel("Tags (optional)").fill("light, kitchen");
    await page.getByRole("button", { name: "Register device" }).click();
    const secret = page.getByRole("region", { name: "Device token, shown once" }).getByRole("textbox");
    token = await secret.inputValue();
    expect(token.length).toBeGreaterThan(20);
    await page.locator('tr[data-device="con-lamp"]').getByText("Offline").waitFor();
    await check("devices");
    // The token works for the device: it is the real one, not a placeholder.
    const dev = await JsonSocket.open(token);
    await page.locator('tr[data-device="con-lamp"]').getByText("Online").waitFor();
    await dev.close();
    await page.locator('tr[data-device="con-lamp"]').getByText("Offline").waitFor();
  });

  it("finds devices by id prefix and tag", async () => {
    await apiJson("POST", "/v1/devices", 201, { body: { id: "con-other", tags: ["pump"] } });
    await open("devices", "Devices");
    await page.getByLabel("Tag", { exact: true }).fill("kitchen");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("heading", { name: "Matching devices" }).waitFor();
    await page.locator('tr[data-device="con-lamp"]').waitFor();
    expect(await page.locator('tr[data-device="con-other"]').count()).toBe(0);
  });

  it("sets desired state, marks the delta, and clears it when the device reports", async () => {
    await open("devices/con-lamp/shadow", "con-lamp");
    await page.getByText("This shadow has no state yet").waitFor();
    await page.getByLabel("Desired state (JSON object)").fill('{"color": "red", "level": ');
    await page.getByText(/Line 1, column \d+: The JSON ends too early/).waitFor();
    await page.getByLabel("Desired state (JSON object)").fill('{"color": "red", "level": 3}');
    await page.getByRole("button", { name: "Save desired state" }).click();
    await page.locator('[data-testid="delta"][data-state="open"]').getByText("level").waitFor();
    expect(await page.locator("mark[data-delta]").count()).toBe(2);
    await check("device-shadow-delta");

    // A device on the JSON socket gets the open delta on connect and reports what it applied.
    const dev = await JsonSocket.open(token);
    const delta = await dev.next((m) => m.type === "shadow.delta");
    expect(delta.state).toEqual({ color: "red", level: 3 });
    dev.send({ type: "shadow.update", state: { reported: delta.state } });
    await page.locator('[data-testid="delta"][data-state="clear"]').waitFor();
    await page.getByTestId("device-status").getByText("Online").waitFor();
    await check("device-shadow");

    // Removing a field in the editor deletes it from desired (sent as null).
    await page.getByLabel("Desired state (JSON object)").fill('{"color": "blue"}');
    await page.getByRole("button", { name: "Save desired state" }).click();
    await page.locator('[data-testid="delta"][data-state="open"]').getByText("color").waitFor();
    const shadow = await apiJson<{ state: { desired: Record<string, unknown> } }>("GET", "/v1/devices/con-lamp/shadow", 200);
    expect(shadow.state.desired).toEqual({ color: "blue" });
    await dev.close();
  });

  it("refuses a stale edit with a version conflict", async () => {
    await open("devices/con-lamp/shadow", "con-lamp");
    const version = Number(await page.getByTestId("shadow-version").textContent());
    await page.getByLabel("Desired state (JSON object)").fill('{"color": "green"}');
    // Someone else writes meanwhile; the console's edit still names the version it loaded.
    await apiJson("POST", "/v1/devices/con-lamp/shadow", 200, { body: { state: { desired: { color: "white" } } } });
    await page.getByTestId("shadow-version").getByText(String(version + 1)).waitFor();
    await page.getByRole("button", { name: "Save desired state" }).click();
    await page.getByText("Version conflict").waitFor();
    const shadow = await apiJson<{ state: { desired: Record<string, unknown> } }>("GET", "/v1/devices/con-lamp/shadow", 200);
    expect(shadow.state.desired).toEqual({ color: "white" });
  });

  it("diffs two versions of the shadow", async () => {
    await open("devices/con-lamp/history", "con-lamp");
    const diff = page.getByTestId("diff");
    await diff.getByRole("rowheader", { name: "desired.color" }).waitFor();
    await page.getByLabel("From", { exact: true }).selectOption({ index: 0 });
    await diff.getByRole("rowheader", { name: "reported.level" }).waitFor();
    await check("device-history");
  });

  it("saves desired state over a change that touched reported state only", async () => {
    await open("devices/con-lamp/shadow", "con-lamp");
    const version = Number(await page.getByTestId("shadow-version").textContent());
    await page.getByLabel("Desired state (JSON object)").fill('{"color": "green"}');
    // The device reports meanwhile: the version moves, desired does not, so this is no conflict.
    await apiJson("POST", "/v1/devices/con-lamp/shadow", 200, { body: { state: { reported: { rssi: -60 } } } });
    await page.getByTestId("shadow-version").getByText(String(version + 1)).waitFor();
    await page.getByRole("button", { name: "Save desired state" }).click();
    await page.getByText(`Saved: version ${version + 2}.`).waitFor();
    const shadow = await apiJson<{ state: { desired: Record<string, unknown> } }>("GET", "/v1/devices/con-lamp/shadow", 200);
    expect(shadow.state.desired).toEqual({ color: "green" });
  });

  it("draws telemetry on the chart as it arrives", async () => {
    await open("devices/con-lamp/telemetry", "con-lamp");
    await page.getByTestId("no-telemetry").waitFor();
    await streamOpen();
    const dev = await JsonSocket.open(token);
    // 30 s apart: with the history API the chart's buckets are 30 s wide (one hour in 240 points).
    const t0 = Date.now();
    dev.send({ type: "telemetry", data: { temp: 21.5, hum: 40 }, ts: t0 });
    await page.locator('figure.chart[data-points="1"]').waitFor();
    await page.getByTestId("latest").getByText("temp 21.5").waitFor();
    dev.send({ type: "telemetry", data: { temp: 22.25 }, ts: t0 + 30_000 });
    await page.locator('figure.chart[data-points="2"]').waitFor();
    await page.getByTestId("latest").getByText("temp 22.25").waitFor();
    expect(await page.locator("figure.chart canvas").count()).toBeGreaterThan(0);
    await check("device-telemetry");
    await dev.close();
  });

  it("says when the shadow last changed, not when it was read", async () => {
    await apiJson("POST", "/v1/devices", 201, { body: { id: "con-when" } });
    const doc = await apiJson<{ metadata: { desired: { on: { timestamp: number } } } }>("POST", "/v1/devices/con-when/shadow", 200, { body: { state: { desired: { on: true, keep: 1 } } } });
    const changed = doc.metadata.desired.on.timestamp;
    await new Promise((r) => setTimeout(r, 2_500));
    await open("devices/con-when/shadow", "con-when");
    await page.getByTestId("shadow-version").waitFor();
    // The page's own formatting (its locale) of the write's time.
    const expected = await page.evaluate(`new Date(${changed * 1000}).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })`);
    await expect.poll(() => page.getByText(/last changed/).innerText(), { timeout: 5_000 }).toContain(`last changed ${String(expected)}`);
    // A change that only removes a field: its metadata goes with it (keep's stays, older), but it is the last change.
    await new Promise((r) => setTimeout(r, 1_500));
    const removed = await apiJson<{ version: number; timestamp: number }>("POST", "/v1/devices/con-when/shadow", 200, { body: { state: { desired: { on: null } } } });
    await page.locator(`[data-testid="shadow-version"]:text-is("${removed.version}")`).waitFor();
    const after = await page.evaluate(`new Date(${removed.timestamp * 1000}).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })`);
    await expect.poll(() => page.getByText(/last changed/).innerText(), { timeout: 5_000 }).toContain(`last changed ${String(after)}`);
  });

  it("shows a disconnect's time as last seen, and ends the page of a device deleted elsewhere", async () => {
    const devToken = await apiJson<{ credential: { token: string } }>("POST", "/v1/devices", 201, { body: { id: "con-gone" } }).then((d) => d.credential.token);
    await open("devices/con-gone/shadow", "con-gone");
    await streamOpen();
    const dev = await JsonSocket.open(devToken);
    await page.getByTestId("device-status").getByText("Online").waitFor();
    await new Promise((r) => setTimeout(r, 1_500));
    await dev.close();
    await page.getByTestId("device-status").getByText("Offline").waitFor();
    const lastSeen = (await apiJson<{ status: { last_seen: string } }>("GET", "/v1/devices/con-gone", 200)).status.last_seen;
    const shown = await page.evaluate(`new Date(${JSON.stringify(lastSeen)}).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })`);
    // Before: the connect's time stayed on screen until a reload.
    await expect.poll(() => page.getByTestId("device-status").innerText(), { timeout: 5_000 }).toContain(`last seen ${String(shown)}`);
    // Before: the page stayed, "Reconnecting…" for ever.
    await apiJson("DELETE", "/v1/devices/con-gone", 204);
    await page.getByTestId("device-deleted").waitFor();
    expect(await page.getByTestId("stream").count()).toBe(0);
  });

  it("spans the chosen range on the chart's time axis, not the data's extent", async () => {
    // One point, as a fresh device has: uPlot alone would stretch the axis to a thousand days.
    const id = "con-range";
    const devToken = await apiJson<{ credential: { token: string } }>("POST", "/v1/devices", 201, { body: { id } }).then((d) => d.credential.token);
    await apiJson("POST", `/v1/devices/${id}/telemetry`, 202, { token: devToken, body: { data: { temp: 20 } } });
    await open(`devices/${id}/telemetry`, id);
    await page.locator('figure.chart[data-points="1"]').waitFor();
    // Both ends read from one element at once (two reads could straddle a re-render and mix an
    // old chart's end with a new one's missing start), polled while the chart settles.
    const span = () =>
      page.locator("figure.chart .chart-canvas").evaluate((el: unknown) => {
        const data = (el as { dataset: { xMin?: string; xMax?: string } }).dataset;
        return Number(data.xMax) - Number(data.xMin);
      });
    await expect.poll(async () => Math.abs((await span()) - 3_600), { timeout: 10_000 }).toBeLessThan(120); // "Last hour", the default
    await page.getByLabel("Range").selectOption({ label: "Last 7 days" });
    await expect.poll(span, { timeout: 10_000 }).toBeGreaterThan(7 * 86_400 - 120);
    expect(await span()).toBeLessThan(7 * 86_400 + 120);
  });

  it("drops a bucket width the new range does not offer, and says raw samples are raw", async () => {
    // Still on con-range's telemetry, with its one sample: 1 s buckets fit 15 minutes, not 30 days.
    await page.getByLabel("Range").selectOption({ label: "Last 15 minutes" });
    await page.getByLabel("Buckets").selectOption({ label: "1 s averages" });
    await page.getByText("Buckets: 1 s.").waitFor();
    await page.getByLabel("Range").selectOption({ label: "Last 30 days" });
    await expect.poll(() => page.getByLabel("Buckets").inputValue()).toBe("auto");
    await page.getByText("Buckets: 6 h.").waitFor();
    await page.locator('figure.chart[data-points="1"]').waitFor();
    expect(await page.locator(".note.error").count()).toBe(0);
    await page.getByLabel("Buckets").selectOption({ label: "Raw (every sample)" });
    await page.getByText("Raw samples from the hub, one point per sample.").waitFor();
  });

  it("shows the live event stream", async () => {
    // Straight from another device's page (con-range's, open and connected): what says
    // "Connected" must be con-lamp's stream, not con-range's left on screen under the new
    // heading, or the telemetry below is sent before anyone listens (a CI flake, once).
    await streamOpen();
    const previous = await page.getByTestId("stream").elementHandle();
    await open("devices/con-lamp/events", "con-lamp");
    expect(await previous?.evaluate((n) => n.isConnected)).toBe(false);
    await streamOpen();
    const dev = await JsonSocket.open(token);
    dev.send({ type: "telemetry", data: { volts: 3.3 } });
    await page.getByRole("list", { name: "Events, newest first" }).getByText('"volts":3.3').waitFor();
    await check("device-events");
    await dev.close();
  });

  it("issues, rotates and revokes credentials", async () => {
    await open("devices/con-lamp/credentials", "con-lamp");
    await page.getByRole("button", { name: "Issue a new token" }).click();
    const issued = await page.getByRole("region", { name: /^New token cred_\w+, shown once$/ }).getByRole("textbox").inputValue();
    const dev = await JsonSocket.open(issued);
    await dev.close();
    const credId = /cred_\w+/.exec((await page.getByRole("region", { name: /^New token/ }).getAttribute("aria-label")) ?? "")?.[0] ?? "";
    await page.getByLabel("Grace period when rotating (seconds)").fill("0");
    await page.getByRole("button", { name: `Rotate ${credId}` }).click();
    const rotated = await page.getByRole("region", { name: new RegExp(`replacing ${credId}, shown once$`) }).getByRole("textbox").inputValue();
    await expect(JsonSocket.open(issued)).rejects.toThrow(/401/);
    const newId = /^Token (cred_\w+)/.exec((await page.getByRole("region", { name: /replacing/ }).getAttribute("aria-label")) ?? "")?.[1] ?? "";
    await page.getByRole("button", { name: `Revoke ${newId}`, exact: true }).click();
    await page.getByRole("button", { name: `Revoke ${newId} now` }).click();
    await page.locator(`tr[data-credential="${newId}"]`).getByText("revoked").first().waitFor();
    await expect(JsonSocket.open(rotated)).rejects.toThrow(/401/);
    await check("device-credentials");
  });

  it("sends a command and shows the device's result", async () => {
    await open("devices/con-lamp/commands", "con-lamp");
    await streamOpen();
    const dev = await JsonSocket.open(token);
    await page.getByLabel("Command name").fill("blink");
    await page.getByLabel("Payload (JSON, optional)").fill('{"times": 2}');
    await page.getByRole("button", { name: "Send command" }).click();
    const cmd = await dev.next((m) => m.type === "command");
    expect(cmd).toMatchObject({ name: "blink", payload: { times: 2 } });
    // The history follows the live stream: queued, then delivered, then the result.
    await page.locator(`tr[data-command="${String(cmd.id)}"][data-status="delivered"]`).waitFor();
    dev.send({ type: "command.result", id: cmd.id, status: "completed", result: { blinked: 2 } });
    await page.locator(`tr[data-command="${String(cmd.id)}"][data-status="completed"]`).getByTestId("command-result").getByText('{"blinked":2}').waitFor();
    await check("device-commands");
    await dev.close();
  });

  it("calls a direct method and shows the answer, or that the device is offline", async () => {
    await open("devices/con-lamp/methods", "con-lamp");
    await page.getByLabel("Method name").fill("ping");
    await page.getByRole("button", { name: "Call method" }).click();
    await page.getByText("The device is offline").waitFor();

    const dev = await JsonSocket.open(token);
    await page.getByLabel("Payload (JSON, optional)").fill('{"n": 1}');
    await page.getByRole("button", { name: "Call method" }).click();
    const call = await dev.next((m) => m.type === "method");
    expect(call).toMatchObject({ name: "ping", payload: { n: 1 } });
    dev.send({ type: "method.response", id: call.id, status: 200, payload: { pong: 1 } });
    const answer = page.getByTestId("method-answer");
    await answer.getByText("The device answered with status 200").waitFor();
    await answer.getByText('"pong": 1').waitFor();
    await check("device-methods");
    // A device's refusal (status >= 400) is shown as a failure, not in the green of a success.
    await page.getByLabel("Method name").fill("nosuch");
    await page.getByRole("button", { name: "Call method" }).click();
    const refused = await dev.next((m) => m.type === "method");
    dev.send({ type: "method.response", id: refused.id, status: 404, payload: { error: "no method" } });
    await answer.getByText("status 404").waitFor();
    expect(await answer.locator(".note").getAttribute("class")).toBe("note error");
    await dev.close();
  });

  it("disables, enables and deletes a device from its page", async () => {
    const id = "con-doomed";
    const devToken = await apiJson<{ credential: { token: string } }>("POST", "/v1/devices", 201, { body: { id } }).then((d) => d.credential.token);
    const send = () => api("POST", `/v1/devices/${id}/telemetry`, { token: devToken, body: { data: { n: 1 } } }).then((r) => r.status);
    expect(await send()).toBe(202);
    await open(`devices/${id}/shadow`, id);
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Disable: refuse its credentials, end its connections" }).click();
    await page.getByText("No (its credentials are refused)").waitFor();
    expect(await send()).toBe(401);
    await check("device-disabled");
    await page.getByRole("button", { name: "Enable" }).click();
    await page.getByRole("button", { name: "Disable" }).waitFor();
    expect(await send()).toBe(202);
    await page.getByRole("button", { name: "Delete device" }).click();
    await page.getByRole("button", { name: `Delete ${id} and all it holds` }).click();
    await page.getByRole("heading", { level: 1, name: "Devices" }).waitFor();
    expect((await api("GET", `/v1/devices/${id}`)).status).toBe(404);
    expect(await page.locator(`tr[data-device="${id}"]`).count()).toBe(0);
  });

  it("says plainly when this hub lacks a feature", async () => {
    // Pages built against the issue-10 contract show "not available" until their routes exist.
    const doc = await apiJson<{ paths: Record<string, unknown> }>("GET", "/openapi.json", 200, { token: null });
    for (const [route, heading, path, what] of [
      ["devices/con-lamp/commands", "con-lamp", "/v1/devices/{id}/commands", "Commands"],
      ["devices/con-lamp/methods", "con-lamp", "/v1/devices/{id}/methods/{name}", "Direct methods"],
      ["rules", "Rules", "/v1/rules", "Rules"],
      ["webhooks", "Webhooks", "/v1/webhooks", "Webhooks"],
    ] as const) {
      await open(route, heading);
      const unavailable = page.getByText(`${what} is not available on this hub.`);
      if (doc.paths[path]) expect(await unavailable.count()).toBe(0);
      else await unavailable.waitFor();
      // The device sections have their own screenshots above; rules and webhooks get theirs here.
      if (!route.startsWith("devices/")) await check(route);
    }
  });

  it("logged no error in the browser (no CSP violation, no exception)", () => {
    expect(browser.errors).toEqual([]);
  });
});
