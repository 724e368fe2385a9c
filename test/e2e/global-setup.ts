/** Starts one real hub for the end-to-end suite on a free port, with its own state folder. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { applyMigrations, freePort, startWrangler } from "../../scripts/hub.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    hubUrl: string;
    adminToken: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "umbra-e2e-"));
  const token = randomBytes(32).toString("base64url");
  const envFile = join(dir, "vars.env");
  // As `npm start` does: a random JWT_SECRET beside the admin token (tokens are never signed without one);
  // a short CONNECT timeout so the pre-authentication test does not wait the default 10 s; the
  // anonymous sandbox on, for the sandbox and interoperability tests (off by default: limits.test.ts);
  // webhooks may call the tests' receivers on 127.0.0.1, and retry a failed delivery after 0.5 s.
  writeFileSync(
    envFile,
    `ADMIN_TOKEN="${token}"\nJWT_SECRET="${randomBytes(32).toString("base64url")}"\nMQTT_CONNECT_TIMEOUT_SECONDS="2"\nMQTT_ANONYMOUS="true"\n` +
      `WEBHOOK_ALLOW_PRIVATE="true"\nWEBHOOK_RETRY_FIRST_SECONDS="0.5"\n`,
  );
  const persistTo = join(dir, "state");
  applyMigrations(persistTo);
  const hub = await startWrangler({ port: await freePort(), persistTo, envFile });
  project.provide("hubUrl", hub.url);
  project.provide("adminToken", token);
  return async () => {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
