// `npm run fuzz`: the codec fuzzers, 1,000,000 inputs per codec (test/fuzz/run.ts);
// `npm run fuzz -- --codec mqtt` picks one; `npm run fuzz -- --sockets` runs the socket-level
// pass against a hub of its own instead (test/fuzz/socket-run.ts). JSON lines on stdout.
import { execFileSync, spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const sockets = argv.includes("--sockets");
execFileSync(process.execPath, [join(root, "scripts", "build-wasm.mjs")], { stdio: "inherit" });
const entry = join(root, "test", "fuzz", sockets ? "socket-run.ts" : "run.ts");
const r = spawnSync(process.execPath, ["--import", "tsx", entry, ...argv.filter((a) => a !== "--sockets")], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
