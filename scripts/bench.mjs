// `npm run bench -- <scenario> [options]` runs bench/<scenario>.ts through bench/lib/main.ts;
// `npm run bench` runs every scenario in turn. Each prints JSON lines on stdout and one progress
// line on stderr, and fails (exit 1) when a line is not ok. Builds the WASM modules first and
// raises the open-file limit for the many sockets (children inherit it).
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const wanted = [];
const options = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith("--")) {
    options.push(argv[i]);
    if (!argv[i].includes("=") && i + 1 < argv.length && !argv[i + 1].startsWith("--")) options.push(argv[++i]);
  } else wanted.push(argv[i]);
}

/** Raises this process's open-file limit (root may raise the hard limit too); best effort. */
function raiseFileLimit(n = 65536) {
  const r = spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${n}:${n}`], { stdio: "ignore" });
  if (r.status !== 0) spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${n}`], { stdio: "ignore" });
}

execFileSync(process.execPath, [join(root, "scripts", "build-wasm.mjs")], { stdio: "inherit" });
raiseFileLimit();

const all = readdirSync(join(root, "bench")).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => f.slice(0, -3)).sort();
const names = wanted.length ? wanted : all;
let failed = false;
for (const name of names) {
  if (!all.includes(name)) {
    console.log(JSON.stringify({ scenario: name, ok: false, error: `no scenario bench/${name}.ts (have: ${all.join(", ")})` }));
    failed = true;
    continue;
  }
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "lib", "main.ts"), name, ...options], { stdio: "inherit", cwd: root });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
