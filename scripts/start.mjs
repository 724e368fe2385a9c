// `npm start`: apply migrations, make sure there is an admin token, run the hub on 127.0.0.1:PORT.
import { connect } from "node:net";
import { join } from "node:path";
import { MIN_SECRET_LENGTH, applyMigrations, ensureDevVars, root, runtimeRunning, startWrangler } from "./hub.mjs";

const port = Number(process.env.PORT ?? 8787);
const persistTo = join(root, ".wrangler", "state");

const { token, created, jwtCreated, short, vars } = ensureDevVars();
if (jwtCreated) console.log("JWT_SECRET (signs OAuth access tokens): new, saved in .dev.vars");
const why = { ADMIN_TOKEN: "admin access is off", JWT_SECRET: "the hub issues no OAuth tokens" };
for (const name of short) console.log(`!! ${name} in .dev.vars is shorter than ${MIN_SECRET_LENGTH} characters: ${why[name]}. Remove the line for a new random one.`);
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
// Vars set to values the hub cannot use as written (durable-objects/vars.ts): say so now, not at the first request.
const health = await fetch(`${hub.url}/health`).then((r) => r.json()).catch(() => null);
for (const problem of health?.config_problems ?? []) console.log(`!! ${problem}`);
// The MQTT sandbox lets anyone connect without credentials: say so every time it is on.
if (vars.MQTT_ANONYMOUS === "true") {
  console.log(`
!! MQTT_ANONYMOUS is on (.dev.vars): any client may connect to ${hub.url.replace("http", "ws")}/mqtt without
!! credentials, into the sandbox topic space (not devices/ or channels/). Remove it to turn the sandbox off.`);
}

let stopping = false;
let watch;
const shutdown = async (why) => {
  if (stopping) return;
  stopping = true;
  clearInterval(watch);
  await hub.stop();
  console.log(`Umbra stopped (${why}).`);
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
hub.child.on("exit", (code, signal) => {
  if (stopping) return;
  console.error(`!! wrangler exited (${signal ?? `code ${code}`}): Umbra is down.`);
  process.exit(code ?? 1);
});
// wrangler outlives its runtime (an out-of-memory kill, say), and its dev proxy keeps the port
// open, so connections hang rather than fail: a runtime missing from wrangler's process group
// three times in a row, 5 s apart, is a hub that is down (a reload replaces the runtime within
// that time); say so and stop, rather than look up. Where there is no /proc, a port that refuses
// connections three times in a row counts instead. (Neither is a request: wrangler logs every one.)
let missed = 0;
const down = () => {
  if (++missed < 3 || stopping) return;
  stopping = true;
  console.error("!! the hub's runtime (workerd) is gone: Umbra is down. Stopping wrangler.");
  void hub.stop().then(() => process.exit(1));
};
watch = setInterval(() => {
  const running = runtimeRunning(hub.child.pid);
  if (running !== null) return running ? void (missed = 0) : down();
  const probe = connect(port, "127.0.0.1");
  probe.once("connect", () => {
    missed = 0;
    probe.destroy();
  });
  probe.once("error", (err) => err.code === "ECONNREFUSED" && down());
}, 5_000);
