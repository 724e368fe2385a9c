// Builds the web console (console/, Preact + uPlot) with Vite into dist/static/console/, the
// folder wrangler.toml's [assets] serves under /console. Runs in `npm install`'s postinstall
// beside the WASM build, so `npm start` serves the console with no step for the user.
// Skips the build when its output is newer than every source (`--force` builds anyway).
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "console");
/** The [assets] directory of wrangler.toml; the console sits in its `console/` folder. */
const assetsDir = join(root, "dist", "static");
const outDir = join(assetsDir, "console");
const marker = join(outDir, "index.html");

/** Newest modification time among `paths` (folders walked; test files and tsconfig do not ship). */
function newest(paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const s = statSync(p);
    if (!s.isDirectory()) t = Math.max(t, s.mtimeMs);
    else for (const e of readdirSync(p)) if (!e.endsWith(".test.ts")) t = Math.max(t, newest([join(p, e)]));
  }
  return t;
}

// The console also bundles the hub's pure JSON helpers, and the lock file pins what it bundles.
const inputs = [src, join(root, "protocols", "json-value.ts"), join(root, "package-lock.json"), fileURLToPath(import.meta.url)];
if (!process.argv.includes("--force") && existsSync(marker) && statSync(marker).mtimeMs > newest(inputs)) process.exit(0);

const { build } = await import("vite");
await build({
  root: src,
  base: "/console/",
  configFile: false,
  logLevel: "warn",
  publicDir: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    // Hashed file names, so the long cache set in _headers below is safe.
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: false,
    // Everything is bundled: no CDN, nothing fetched at run time.
    modulePreload: { polyfill: false },
  },
});

// Workers Static Assets reads _headers at the root of the assets folder (wrangler dev too). The
// console talks only to its own origin; its tokens live in sessionStorage, so no framing and no
// referrer, and a script-src without 'unsafe-inline' keeps an injected string from running.
writeFileSync(join(assetsDir, "_headers"), `/console/*
  Content-Security-Policy: default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  X-Frame-Options: DENY
/console/assets/*
  Cache-Control: public, max-age=31536000, immutable
`);
console.log(`built ${outDir}`);
