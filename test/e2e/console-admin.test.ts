/**
 * The console's admin pages and sign-in paths in a real browser: API keys and OAuth clients
 * (secrets shown once), signing in with an OAuth client and out again (nothing left behind),
 * channels, policies, and the phone-width layout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { adminToken, apiJson, hubUrl } from "./client";
import { axe, type Browser, shoot, signedIn, signInWithToken } from "./console-browser";

let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ browser, page } = await signedIn(hubUrl(), adminToken()));
});

afterAll(async () => {
  await browser?.close();
});

async function open(p: Page, route: string, heading: string): Promise<void> {
  await p.goto(`${hubUrl()}/console/#/${route}`);
  await p.getByRole("heading", { level: 1, name: heading }).waitFor();
}

async function check(p: Page, name: string): Promise<void> {
  await shoot(p, name);
  expect(await axe(p), `axe on ${name}`).toEqual([]);
}

/** What the browser keeps for the console's origin: storage of the tab, and cookies. */
async function stored(p: Page) {
  const storage = (await p.evaluate("({ session: Object.keys(sessionStorage), local: Object.keys(localStorage) })")) as { session: string[]; local: string[] };
  return { ...storage, cookies: await p.context().cookies(hubUrl()) };
}

describe("console admin pages", () => {
  let client = { id: "", secret: "" };

  it("creates an API key and an OAuth client, showing each secret once, and revokes a key", async () => {
    await open(page, "api-keys", "API keys");
    const keys = page.getByRole("region", { name: "API keys", exact: true });
    await keys.getByLabel("Name").fill("console-dashboard");
    await keys.getByRole("button", { name: "Create API key" }).click();
    const key = await page.getByRole("region", { name: "API key console-dashboard, shown once" }).getByRole("textbox").inputValue();
    expect(key).toMatch(/^umk_/);
    // The key works, with the scope the form gave it (devices:read by default).
    await apiJson("GET", "/v1/devices", 200, { token: key });
    await apiJson("POST", "/v1/devices", 403, { token: key, body: { id: "nope" } });
    await keys.getByRole("button", { name: "Revoke console-dashboard", exact: true }).click();
    await keys.getByRole("button", { name: "Revoke console-dashboard now" }).click();
    await keys.getByText(/^revoked/).waitFor();
    await apiJson("GET", "/v1/devices", 401, { token: key });

    const clients = page.getByRole("region", { name: "OAuth clients", exact: true });
    await clients.getByLabel("Name").fill("console-backend");
    await clients.getByRole("checkbox", { name: "devices:write" }).check();
    await clients.getByRole("button", { name: "Create OAuth client" }).click();
    const region = page.getByRole("region", { name: /^Client secret of client_\w+, shown once$/ });
    client = {
      secret: await region.getByRole("textbox").inputValue(),
      id: /client_\w+/.exec((await region.getAttribute("aria-label")) ?? "")?.[0] ?? "",
    };
    expect(client.id).not.toBe("");
    await check(page, "api-keys");
  });

  it("signs in with an OAuth client in a new tab, keeps it in sessionStorage only, and forgets it on sign-out", async () => {
    const tab = await browser.newPage();
    await tab.goto(`${hubUrl()}/console/`);
    await tab.getByRole("radio", { name: /OAuth client/ }).check();
    await tab.getByLabel("Client id").fill(client.id);
    await tab.getByLabel("Client secret").fill(client.secret);
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByRole("heading", { level: 1, name: "Devices" }).waitFor();
    await tab.getByText(`OAuth client ${client.id}`).waitFor();
    const during = await stored(tab);
    expect(during.session).toEqual(["umbra.console.session"]);
    expect(during.local).toEqual([]);
    expect(during.cookies).toEqual([]);
    // The access token it holds works, and carries the client's scopes.
    await tab.getByLabel("Device id").fill("con-oauth");
    await tab.getByRole("button", { name: "Register device" }).click();
    await tab.getByRole("region", { name: "Device token, shown once" }).waitFor();

    await tab.getByRole("button", { name: "Sign out" }).click();
    await tab.getByRole("heading", { level: 1, name: "Sign in to Umbra" }).waitFor();
    expect(await stored(tab)).toEqual({ session: [], local: [], cookies: [] });
    await check(tab, "sign-in");
    await tab.close();
  });

  it("refuses a wrong token on the sign-in page", async () => {
    const tab = await browser.newPage();
    await tab.goto(`${hubUrl()}/console/`);
    await tab.getByLabel("API key or admin token").fill("umk_not-a-key");
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByRole("alert").getByText("The hub does not accept this token").waitFor();
    expect((await stored(tab)).session).toEqual([]);
    await tab.close();
  });

  it("creates a channel and connects a device to it", async () => {
    await apiJson("POST", "/v1/devices", 201, { body: { id: "con-member" } });
    await open(page, "channels", "Channels");
    await page.getByLabel("Channel id").fill("con-kitchen");
    await page.getByRole("button", { name: "Create channel" }).click();
    const card = page.locator('li[data-channel="con-kitchen"]');
    await card.getByRole("button", { name: "Members" }).click();
    await card.getByLabel("Connect a device to con-kitchen").fill("con-member");
    await card.getByRole("button", { name: "Connect", exact: true }).click();
    await card.getByRole("link", { name: "con-member" }).waitFor();
    const members = await apiJson<{ items: { device_id: string }[] }>("GET", "/v1/channels/con-kitchen/devices", 200);
    expect(members.items.map((m) => m.device_id)).toEqual(["con-member"]);
    await check(page, "channels");
  });

  it("creates a group, adds devices to it, and charts a key across them", async () => {
    const now = Date.now();
    for (const [id, temps] of [["con-g1", [20, 22]], ["con-g2", [30]]] as const) {
      await apiJson("POST", "/v1/devices", 201, { body: { id } });
      await apiJson("POST", `/v1/devices/${id}/telemetry`, 202, { body: temps.map((temp, i) => ({ ts: now - 60_000 + i, data: { temp } })) });
    }
    await open(page, "groups", "Groups");
    await page.getByLabel("Group name").fill("con-floor");
    await page.getByLabel("Description (optional)").fill("Second floor");
    await page.getByRole("button", { name: "Create group" }).click();
    const card = page.locator('li[data-group="con-floor"]');
    await card.getByRole("button", { name: "Members" }).click();
    for (const id of ["con-g1", "con-g2"]) {
      await card.getByLabel("Add a device to con-floor").fill(id);
      await card.getByRole("button", { name: "Add", exact: true }).click();
      await card.getByRole("link", { name: id }).waitFor();
    }
    const members = await apiJson<{ items: { device_id: string }[] }>("GET", "/v1/groups/con-floor/devices", 200);
    expect(members.items.map((m) => m.device_id).sort()).toEqual(["con-g1", "con-g2"]);
    await check(page, "groups");

    await card.getByRole("button", { name: "Telemetry" }).click();
    await card.getByLabel("Telemetry key").fill("temp");
    await card.getByRole("button", { name: "Show" }).click();
    // One line per device and the combined one, with the hub's averages: con-g1 21, con-g2 30, all 24 (3 samples).
    const latest = card.getByTestId("latest");
    await latest.waitFor();
    const text = (await latest.textContent()) ?? "";
    expect(text).toContain("all devices 24");
    expect(text).toContain("con-g1 21");
    expect(text).toContain("con-g2 30");
    await card.getByRole("checkbox", { name: "con-g2" }).uncheck();
    await expect.poll(async () => (await latest.textContent()) ?? "").not.toContain("con-g2");
    await check(page, "group-telemetry");
    await card.getByLabel("Telemetry key").fill("pressure");
    await card.getByRole("button", { name: "Show" }).click();
    await card.getByTestId("no-telemetry").waitFor();
  });

  it("creates a policy, attaches it, and simulates a decision", async () => {
    await open(page, "policies", "Policies");
    await page.getByLabel("Policy id (optional)").fill("con-policy");
    await page.getByRole("button", { name: "Create policy" }).click();
    const card = page.locator('li[data-policy="con-policy"]');
    await card.getByRole("button", { name: "Open" }).click();
    await card.getByLabel("Attach to").selectOption("device");
    await card.getByLabel("Id", { exact: true }).fill("con-member");
    await card.getByRole("button", { name: "Attach", exact: true }).click();
    await card.getByText("Attached to device con-member.").waitFor();
    await card.getByLabel("Device id").fill("con-member");
    await card.getByLabel("Topic").fill("devices/con-member/status");
    await card.getByRole("button", { name: "Simulate" }).click();
    await card.getByText("Allowed").waitFor();
    await card.getByLabel("Topic").fill("devices/someone-else/status");
    await card.getByRole("button", { name: "Simulate" }).click();
    await card.getByText("Denied").waitFor();
    await check(page, "policies");

    // Deleting it reads nothing more of it (its attachments would answer 404).
    const after: string[] = [];
    const watch = (r: { url(): string; status(): number }) => void (r.url().includes("/v1/policies/con-policy/") && after.push(`${r.status()} ${r.url()}`));
    await card.getByRole("button", { name: "Delete policy", exact: true }).click();
    page.on("response", watch);
    await card.getByRole("button", { name: "Delete policy con-policy" }).click();
    await card.waitFor({ state: "detached" });
    await page.waitForLoadState("networkidle");
    page.off("response", watch);
    expect(after).toEqual([]);
  });

  it("fits a phone's width (375 px) without sideways scrolling", async () => {
    const phone = await browser.newPage(375);
    await signInWithToken(phone, hubUrl(), adminToken());
    for (const [route, heading, name] of [
      ["devices", "Devices", "phone-devices"],
      ["devices/con-member/shadow", "con-member", "phone-device"],
      ["api-keys", "API keys", "phone-api-keys"],
      ["rules", "Rules", "phone-rules"],
    ] as const) {
      await open(phone, route, heading);
      const width = (await phone.evaluate("document.documentElement.scrollWidth")) as number;
      expect(width, `${route} scroll width`).toBeLessThanOrEqual(375);
      await check(phone, name);
    }
    await phone.close();
  });

  it("works by keyboard: skip link, and focus on each new page's heading", async () => {
    await open(page, "devices", "Devices");
    const focused = async () => (await page.evaluate("[document.activeElement?.tagName, document.activeElement?.textContent?.trim()]")) as [string, string];
    // A fresh load, so Tab starts from the top of the document (the session survives: sessionStorage).
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Devices" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await focused()).toEqual(["A", "Skip to content"]);
    await page.keyboard.press("Enter");
    expect((await focused())[0]).toBe("MAIN");
    // From the top again: Tab through the header to the "Channels" link and follow it with Enter.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Devices" }).waitFor();
    for (let i = 0; i < 12 && (await focused())[1] !== "Channels"; i++) await page.keyboard.press("Tab");
    expect(await focused()).toEqual(["A", "Channels"]);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Channels" }).waitFor();
    // Polled from outside: waitForFunction polls by evaluating its predicate inside the page, which
    // the console's Content-Security-Policy forbids (no 'unsafe-eval'), so it failed whenever the
    // focus had not moved by its first look.
    for (const until = Date.now() + 5_000; (await focused())[0] !== "H1" && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    expect(await focused()).toEqual(["H1", "Channels"]);
  });

  it("logged no error in the browser", () => {
    expect(browser.errors).toEqual([]);
  });
});
