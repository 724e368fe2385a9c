/**
 * `npm run fuzz -- --sockets`: the socket-level fuzzer against a hub of its own, long:
 * `--sessions` (2,000) attack sessions, `--seed`, `--concurrency` (8), `--kinds mqtt-relay,coap`
 * (default all four). Also checks that the
 * hub's workerd was never replaced (a crash that wrangler restarted would hide otherwise). Its
 * attackers sign in from addresses of their own (the hub's GATEWAY_KEY and `Forwarded: for=`):
 * 2,000 sessions of garbage fail far more sign-ins than `AUTH_FAILURE_BURST`, and from the one
 * loopback address they locked the good devices and the checks out (429, CONNACK 0x9F).
 * Prints one JSON line; exit 1 when the hub failed a health check or a good device lost data.
 */
import { randomBytes } from "node:crypto";
import { Args } from "../../bench/lib/args";
import { LocalHub, troubleLines } from "../../bench/lib/hub";
import { Progress } from "../../bench/lib/progress";
import { socketFuzz } from "./socket";
import { ATTACKS, type AttackKind } from "./socket-frames";

const args = new Args();
const progress = new Progress("socket fuzz");
// Attack sessions arrive from addresses of their own (see SocketFuzzPlan.gatewayKey).
const gatewayKey = randomBytes(24).toString("base64url");
const hub = LocalHub.create("umbra-socket-fuzz-", { GATEWAY_KEY: gatewayKey });
let line: Record<string, unknown>;
try {
  await hub.start();
  const before = hub.workerdPids().sort().join(",");
  const report = await socketFuzz(hub, {
    seed: Math.round(args.num("seed", Math.floor(Math.random() * 2 ** 31))),
    sessions: Math.round(args.num("sessions", 2000)),
    maxFrames: Math.round(args.num("max-frames", 20)),
    concurrency: Math.round(args.num("concurrency", 8)),
    steadyPerProtocol: Math.round(args.num("steady", 5)),
    periodMs: args.num("period", 200),
    kinds: args.str("kinds", "").split(",").filter((k): k is AttackKind => (ATTACKS as readonly string[]).includes(k)),
    gatewayKey,
  }, (s) => progress.set(s));
  const after = hub.workerdPids().sort().join(",");
  line = { fuzz: "sockets", ...report, ok: report.ok && before === after, workerd_replaced: before !== after };
} catch (e) {
  line = { fuzz: "sockets", ok: false, error: e instanceof Error ? e.message : String(e) };
} finally {
  progress.done();
  const trouble = troubleLines(hub.output(), 40);
  if (trouble.length) process.stderr.write(`wrangler reported:\n${trouble.join("\n")}\n`);
  await hub.dispose();
}
console.log(JSON.stringify(line));
process.exit(line.ok ? 0 : 1);
