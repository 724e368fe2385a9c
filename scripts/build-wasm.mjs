// Builds wasm/assembly/*.ts into wasm/build/*.wasm with the project's own AssemblyScript.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "wasm", "assembly");
const out = join(root, "wasm", "build");
if (!existsSync(src)) process.exit(0);
mkdirSync(out, { recursive: true });
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
for (const file of readdirSync(src)) {
  if (!file.endsWith(".ts") || file.includes(".d.")) continue;
  const name = file.slice(0, -3);
  execFileSync(process.execPath, [asc, join(src, file), "--outFile", join(out, `${name}.wasm`),
    "--optimizeLevel", "3", "--shrinkLevel", "0", "--runtime", "stub", "--noAssert", "--enable", "bulk-memory"],
    { stdio: "inherit" });
}
