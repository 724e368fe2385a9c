// Runs benchmarks: `npm run bench -- cbor` runs bench/cbor.ts; `npm run bench` runs every
// bench/*.ts in turn. Each prints JSON lines. Builds the WASM modules first (no-op when fresh).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = join(root, "bench");
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));

execFileSync(process.execPath, [join(root, "scripts", "build-wasm.mjs")], { stdio: "inherit" });

const all = existsSync(benchDir)
  ? readdirSync(benchDir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => f.slice(0, -3)).sort()
  : [];
const names = wanted.length ? wanted : all;
let failed = false;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`no benchmark bench/${name}.ts (have: ${all.join(", ") || "none"})`);
    failed = true;
    continue;
  }
  try {
    execFileSync(process.execPath, ["--import", "tsx", join(benchDir, `${name}.ts`)], { stdio: "inherit", cwd: root });
  } catch {
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
