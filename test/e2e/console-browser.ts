/**
 * A real browser for the console's end-to-end tests: Debian's Chromium driven by playwright-core,
 * headless, with a fresh profile; screenshots under test-results/console/, and an accessibility
 * check by axe-core (run inside the page, offline).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { root } from "../../scripts/hub.mjs";

/** Where each page's screenshot is written (git-ignored). */
export const SHOTS = join(root, "test-results", "console");

/** Chromium flags: no sandbox (root in CI), and nothing that reaches for the network. */
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** A browser with a fresh user-data-dir; `close()` removes it. */
export interface Browser {
  context: BrowserContext;
  /** Messages the pages logged as errors, and uncaught exceptions (CSP violations show here too). */
  errors: string[];
  newPage(width?: number): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium (CHROMIUM overrides /usr/bin/chromium). */
export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "umbra-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1200, height: 900 },
  });
  mkdirSync(SHOTS, { recursive: true });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      // An HTTP error the console handled (a 404 it shows as "not available", a 409) still logs
      // "Failed to load resource": those are answers, not faults of the page.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(`console: ${m.text()} (at ${page.url()}, from ${m.location().url || "?"}:${m.location().lineNumber})`);
    });
  };
  context.on("page", watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    errors,
    async newPage(width = 1200) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 900 });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Writes a full-page screenshot to test-results/console/<name>.png. */
export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** One accessibility rule the page breaks, and where. */
export interface Violation {
  id: string;
  impact: string | null;
  targets: string[];
}

/**
 * Runs axe-core's WCAG 2.1 A/AA rules on the page as it is now. Injected by evaluation (the
 * console's CSP allows no inline script, and the check must not weaken it).
 */
export async function axe(page: Page): Promise<Violation[]> {
  await page.evaluate(axeSource);
  // A string, so the root tsconfig (no DOM types) need not describe the page's globals.
  const found = await page.evaluate(`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
    .then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" ")) })) }))`);
  const { passes, violations } = found as { passes: number; violations: Violation[] };
  // No rule passing means axe did not look at anything: that is a broken check, not a clean page.
  if (passes === 0) throw new Error("axe-core checked nothing");
  return violations;
}

/** Signs in on the console's sign-in page with a bearer token. */
export async function signInWithToken(page: Page, hubUrl: string, token: string): Promise<void> {
  await page.goto(`${hubUrl}/console/`);
  await page.getByLabel("API key or admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Devices" }).waitFor();
}

/** A browser with one tab signed in to the suite's hub with `token` (close the browser afterwards). */
export async function signedIn(hubUrl: string, token: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await launch();
  const page = await browser.newPage();
  await signInWithToken(page, hubUrl, token);
  return { browser, page };
}
