/**
 * The console signed in with an API key that lacks scopes: each page it may not read says it is
 * not allowed, and claims nothing about data it could not see ("no state yet", "none yet").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiJson, hubUrl } from "./client";
import { axe, type Browser, shoot, signedIn } from "./console-browser";

let browser: Browser;
let page: Page;
let keyId = "";

beforeAll(async () => {
  // A device with a shadow the key may not read.
  await apiJson("POST", "/v1/devices", 201, { body: { id: "scope-lamp" } });
  await apiJson("POST", "/v1/devices/scope-lamp/shadow", 200, { body: { state: { desired: { color: "red" } } } });
  const { key, id } = await apiJson<{ key: string; id: string }>("POST", "/v1/api-keys", 201, { body: { name: "scope-dashboard", scopes: ["devices:read"] } });
  keyId = id;
  ({ browser, page } = await signedIn(hubUrl(), key));
});

afterAll(async () => {
  await browser?.close();
});

/** Opens a route and waits for the page's refusal: the missing scope, named. */
async function refused(route: string, heading: string | RegExp, scope: string): Promise<string> {
  await page.goto(`${hubUrl()}/console/#/${route}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  await page.getByRole("alert").filter({ hasText: `Not allowed with this credential` }).filter({ hasText: scope }).first().waitFor();
  return page.locator("main").innerText();
}

describe("console with a key that lacks scopes", () => {
  it("says the shadow is not allowed instead of calling it empty", async () => {
    const text = await refused("devices/scope-lamp/shadow", "scope-lamp", "shadows:read");
    expect(text).not.toContain("no state yet");
    expect(text).not.toContain("Desired: none");
    await shoot(page, "scoped-shadow");
    expect(await axe(page)).toEqual([]);
  });

  it("says the version history is not allowed instead of listing no versions", async () => {
    expect(await refused("devices/scope-lamp/history", "scope-lamp", "shadows:read")).not.toContain("No versions yet");
  });

  it("says webhooks, API keys and policies are not allowed instead of listing none", async () => {
    expect(await refused("webhooks", "Webhooks", "webhooks:write")).not.toContain("No webhooks yet");
    expect(await refused("api-keys", "API keys", "admin")).not.toContain("None yet");
    expect(await refused("policies", "Policies", "admin")).not.toContain("No policies yet");
  });

  it("still shows what the key may read", async () => {
    await page.goto(`${hubUrl()}/console/#/devices`);
    // Searched for: other suites share the hub, so the device need not be on the first page.
    await page.getByLabel("Id starts with").fill("scope-lamp");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator('tr[data-device="scope-lamp"]').waitFor();
    await page.goto(`${hubUrl()}/console/#/devices/scope-lamp/credentials`);
    await page.getByRole("table").getByText("active").first().waitFor();
  });

  it("logged no error in the browser", () => {
    expect(browser.errors).toEqual([]);
  });

  it("signs out once its key is revoked, instead of retrying every live stream with it until the address is locked out", async () => {
    await page.goto(`${hubUrl()}/console/#/devices/scope-lamp/events`);
    await page.locator('[data-testid="stream"][data-state="open"]').waitFor();
    await apiJson("DELETE", `/v1/api-keys/${keyId}`, 204);
    // Before: "Reconnecting…" for ever, each retry a failed sign-in, until the admin got 429 too.
    await page.getByText("The hub no longer accepts this credential").waitFor({ timeout: 30_000 });
    await apiJson("GET", "/v1/devices?limit=1", 200);
  });
});
