// `npm test` check: lint the OpenAPI document the app itself serves. Starts the Worker under
// `wrangler dev` (offline, throwaway state), saves /openapi.json, and runs `redocly lint` on it
// with scripts/redocly.yaml (recommended rules, warnings as errors). Exit code: the linter's.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, root, startWrangler } from "./hub.mjs";

const dir = mkdtempSync(join(tmpdir(), "umbra-openapi-"));
const file = join(dir, "openapi.json");
let status = 1;
try {
  const hub = await startWrangler({ port: await freePort(), persistTo: join(dir, "state") });
  try {
    const r = await fetch(`${hub.url}/openapi.json`);
    if (!r.ok) throw new Error(`/openapi.json answered ${r.status}`);
    writeFileSync(file, await r.text());
  } finally {
    await hub.stop();
  }
  const lint = spawnSync(process.execPath, [join(root, "node_modules", "@redocly", "cli", "bin", "cli.js"), "lint", file, "--config", join(root, "scripts", "redocly.yaml")], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_UPDATE_NOTIFIER: "1" },
  });
  status = lint.status ?? 1;
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
