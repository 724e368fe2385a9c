// `npm run soak -- <load|crash> [options]`: long runs against a hub of their own
// (bench/soak/<name>.ts). Each prints JSON lines and exits 1 on loss or failure.
// `npm run soak` with no name runs `crash` and then a 10-minute `load`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const all = readdirSync(join(root, "bench", "soak")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));
const name = argv[0] && !argv[0].startsWith("--") ? argv[0] : undefined;
const options = name ? argv.slice(1) : argv;
const names = name ? [name] : ["crash", "load"];

// Many sockets: raise the open-file limit first (root may raise the hard limit); children inherit it.
spawnSync("prlimit", ["--pid", String(process.pid), "--nofile=65536:65536"], { stdio: "ignore" });
let failed = false;
for (const n of names) {
  if (!all.includes(n)) {
    console.log(JSON.stringify({ scenario: `soak-${n}`, ok: false, error: `no soak bench/soak/${n}.ts (have: ${all.join(", ")})` }));
    failed = true;
    continue;
  }
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "soak", `${n}.ts`), ...options], { stdio: "inherit", cwd: root });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
