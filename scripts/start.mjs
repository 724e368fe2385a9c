// `npm start`: apply migrations, make sure there is an admin token, run the hub on 127.0.0.1:PORT.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { applyMigrations, ensureDevVars, root, startWrangler } from "./hub.mjs";

const port = Number(process.env.PORT ?? 8787);
const persistTo = join(root, ".wrangler", "state");

const { token, created, jwtCreated } = ensureDevVars();
if (jwtCreated) console.log("JWT_SECRET (signs OAuth access tokens): new, saved in .dev.vars");
// wrangler redraws its progress table; report each migration once.
const applied = [...new Set(applyMigrations(persistTo).match(/\d{4}_[\w-]+\.sql/g) ?? [])];
console.log(applied.length ? `D1 migrations applied: ${applied.join(", ")}` : "D1 migrations: up to date");
// Local development: webhooks may call receivers on this machine (refused when deployed).
const hub = await startWrangler({ port, persistTo, stdio: "inherit", vars: { WEBHOOK_ALLOW_PRIVATE: "true" } }).catch((err) => {
  console.error(`Umbra did not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
console.log(`
Umbra is listening on ${hub.url}
Console: ${hub.url}/console/
Admin token (${created ? "new, saved in .dev.vars" : "from .dev.vars"}): ${token}
Try:  curl -H "Authorization: Bearer ${token}" ${hub.url}/v1/devices
Press Ctrl-C to stop.`);
// The MQTT sandbox lets anyone connect without credentials: say so every time it is on.
const devVars = join(root, ".dev.vars");
if (existsSync(devVars) && /^MQTT_ANONYMOUS\s*=\s*"?true"?\s*$/m.test(readFileSync(devVars, "utf8"))) {
  console.log(`
!! MQTT_ANONYMOUS is on (.dev.vars): any client may connect to ${hub.url.replace("http", "ws")}/mqtt without
!! credentials, into the sandbox topic space (not devices/ or channels/). Remove it to turn the sandbox off.`);
}

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await hub.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
hub.child.on("exit", (code) => { if (!stopping) process.exit(code ?? 1); });
