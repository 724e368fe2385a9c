#!/usr/bin/env node
// The `umbra` command (package.json "bin"). It runs the TypeScript sources through tsx, so a
// fresh clone needs `npm ci` and no build step: `npx umbra --help`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
