/**
 * The console's webhooks page in a real browser against the real hub: create a webhook for a
 * local receiver (its secret shown once), see a device's telemetry delivered and logged, rotate
 * the secret, disable and delete the webhook. (The e2e setup allows private webhook URLs,
 * WEBHOOK_ALLOW_PRIVATE=true, so the receiver on 127.0.0.1 is reachable.)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { adminToken, apiJson, createDevice, eventually, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";
import { axe, type Browser, shoot, signedIn } from "./console-browser";

let browser: Browser;
let page: Page;
let receiver: Server;
const received: { headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  ({ browser, page } = await signedIn(hubUrl(), adminToken()));
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => receiver?.close(r));
});

describe("console webhooks", () => {
  it("creates a webhook, shows deliveries, rotates its secret, disables and deletes it", async () => {
    const token = await createDevice("con-hooked");
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await page.goto(`${hubUrl()}/console/#/webhooks`);
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await page.getByLabel("URL").fill(url);
    // No event ticked: the form says so itself.
    await page.getByRole("group", { name: "Events" }).getByRole("checkbox", { name: "telemetry", exact: true }).waitFor();
    await page.getByRole("button", { name: "Create webhook" }).click();
    await page.getByRole("alert").filter({ hasText: "Choose at least one event" }).waitFor({ timeout: 5_000 });
    await page.getByRole("group", { name: "Events" }).getByRole("checkbox", { name: "telemetry", exact: true }).check();
    await page.getByLabel("Devices").selectOption("deviceId");
    await page.getByLabel("Device id").fill("con-hooked");
    await page.getByRole("button", { name: "Create webhook" }).click();
    const secretBox = page.getByRole("region", { name: /^Signing secret of wh_\w+, shown once$/ });
    expect(await secretBox.getByRole("textbox").inputValue()).toMatch(/^whsec_/);
    const id = /wh_\w+/.exec((await secretBox.getAttribute("aria-label")) ?? "")?.[0] ?? "";
    const card = page.locator(`li[data-webhook="${id}"]`);
    await card.getByText("active").waitFor();

    const dev = await JsonSocket.open(token);
    dev.send({ type: "telemetry", data: { temp: 30 } });
    await eventually(async () => received.length > 0, 20_000);
    expect(received[0].headers["webhook-id"]).toBeTruthy();
    await dev.close();

    await card.getByRole("button", { name: "Delivery log" }).click();
    const log = card.getByRole("region", { name: "Deliveries" });
    await eventually(async () => {
      await card.getByRole("button", { name: "Refresh" }).click();
      return (await log.getByText("delivered").count()) > 0;
    }, 20_000);
    await log.getByText("telemetry").first().waitFor();
    await shoot(page, "webhooks");
    expect(await axe(page), "axe on webhooks").toEqual([]);

    await card.getByRole("button", { name: "Rotate secret" }).click();
    const rotated = page.getByRole("region", { name: `New signing secret of ${id}, shown once` });
    expect(await rotated.getByRole("textbox").inputValue()).toMatch(/^whsec_/);

    await card.getByRole("button", { name: "Disable" }).click();
    await card.getByText("disabled", { exact: true }).waitFor();
    expect((await apiJson<{ enabled: boolean }>("GET", `/v1/webhooks/${id}`, 200)).enabled).toBe(false);
    await card.getByRole("button", { name: /^Delete webhook/ }).click();
    await card.getByRole("button", { name: "Delete this webhook" }).click();
    await card.waitFor({ state: "detached" });
    await apiJson("GET", `/v1/webhooks/${id}`, 404);
  });

  it("logged no error in the browser", () => {
    expect(browser.errors).toEqual([]);
  });
});
