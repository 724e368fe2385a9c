// Builds wasm/assembly/*.ts into wasm/build/*.wasm with the project's own AssemblyScript.
// Each top-level file is one module; helpers live in subfolders (wasm/assembly/cbor/).
// Skips a module whose .wasm is newer than every source, so tests and benches can call it.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "wasm", "assembly");
const out = join(root, "wasm", "build");
if (!existsSync(src)) process.exit(0);
mkdirSync(out, { recursive: true });
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
const force = process.argv.includes("--force");

/** Newest modification time among the sources (and this script, whose flags matter). */
function newestSource(dir) {
  let t = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return t;
}

const newest = newestSource(src);
for (const file of readdirSync(src)) {
  if (!file.endsWith(".ts") || file.includes(".d.")) continue;
  const name = file.slice(0, -3);
  const target = join(out, `${name}.wasm`);
  if (!force && existsSync(target) && statSync(target).mtimeMs > newest) continue;
  // Written aside and renamed: parallel test workers may build at the same time.
  const tmp = `${target}.${process.pid}.tmp`;
  // stub runtime: the decoder allocates nothing managed; noAssert: bounds are checked by hand.
  execFileSync(process.execPath, [asc, join(src, file), "--outFile", tmp,
    "--optimizeLevel", "3", "--shrinkLevel", "0", "--converge", "--runtime", "stub", "--noAssert",
    "--enable", "bulk-memory"],
    { stdio: "inherit" });
  renameSync(tmp, target);
  console.log(`built ${target}`);
}
