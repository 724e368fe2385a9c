// `npm test`: build the wasm, type-check, then every suite (unit, runtime, e2e) and the deploy
// dry run. Ends with one line `N passed, N failed` counting every test and every check.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./hub.mjs";

const only = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), "umbra-test-"));
let passed = 0;
let failed = 0;
const failures = [];

function run(name, cmd, args) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, FORCE_COLOR: process.env.CI ? "0" : process.env.FORCE_COLOR } });
  return r.status === 0;
}

function check(name, cmd, args) {
  if (run(name, cmd, args)) passed++;
  else {
    failed++;
    failures.push(name);
  }
}

function suite(name, config) {
  const report = join(tmp, `${name}.json`);
  const ok = run(name, process.execPath, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (r.numFailedTests > 0 || !ok) failures.push(name);
    // A suite that crashed outside any test still counts as a failure.
    if (!ok && r.numFailedTests === 0) failed++;
  } else {
    failed++;
    failures.push(`${name} (no report)`);
  }
}

const want = (n) => only.length === 0 || only.includes(n);
if (want("build")) check("build wasm", process.execPath, [join(root, "scripts", "build-wasm.mjs")]);
if (want("build")) check("build console", process.execPath, [join(root, "scripts", "build-console.mjs")]);
if (want("typecheck")) check("typecheck", process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", root]);
if (want("typecheck")) check("typecheck console", process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", join(root, "console")]);
if (want("openapi")) check("openapi lint", process.execPath, [join(root, "scripts", "lint-openapi.mjs")]);
if (want("unit")) suite("unit", "vitest.unit.config.ts");
if (want("runtime")) suite("runtime", "vitest.runtime.config.ts");
if (want("e2e")) suite("e2e", "vitest.e2e.config.ts");
if (want("deploy")) check("deploy:check", process.execPath, [join(root, "scripts", "deploy-check.mjs")]);

rmSync(tmp, { recursive: true, force: true });
if (failures.length) console.log(`\nfailed: ${failures.join(", ")}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
