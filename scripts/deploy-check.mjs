// `npm run deploy:check`: the deployable bundle must always build (wrangler deploy --dry-run).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { offlineEnv, root } from "./hub.mjs";

const out = mkdtempSync(join(tmpdir(), "umbra-deploy-"));
const r = spawnSync(process.execPath, [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", out], {
  cwd: root,
  env: offlineEnv(),
  stdio: "inherit",
});
rmSync(out, { recursive: true, force: true });
process.exit(r.status ?? 1);
