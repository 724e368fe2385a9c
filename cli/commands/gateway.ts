/**
 * `umbra gateway`: the edge gateway for devices that speak MQTT over TCP or CoAP over UDP
 * (see cli/gateway/). Runs until SIGINT or SIGTERM, then prints its counters and exits 0.
 */
import type { Command } from "commander";
import type { GlobalOptions } from "../command";
import { defineCommand, globalOptions } from "../command";
import { CliError, ExitCode } from "../exit-codes";
import type { Gateway } from "../gateway";
import { startGateway } from "../gateway";
import { hubSocketUrl } from "../gateway/hub-url";
import type { Logger } from "../gateway/log";
import { createLogger, escapeLogText } from "../gateway/log";
import { statsFields } from "../gateway/stats";
import { parseCount, parsePort, parseSeconds } from "../parse";

interface GatewayFlags {
  hub?: string;
  host: string;
  mqtt: number | false;
  coap: number | false;
  coapIdle: number;
  coapMaxPeers: number;
  statsInterval: number;
  gatewayKey?: string;
}

export default defineCommand((program) =>
  program
    .command("gateway")
    .description("relay MQTT over TCP and CoAP over UDP devices to the hub")
    .option("--hub <url>", "the hub's base URL (default: --url)")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--mqtt <port>", "TCP MQTT port, 0 for any free one", parsePort, 1883)
    .option("--no-mqtt", "no MQTT listener")
    .option("--coap <port>", "UDP CoAP port, 0 for any free one", parsePort, 5683)
    .option("--no-coap", "no CoAP listener")
    .option("--coap-idle <seconds>", "end a CoAP peer's hub connection after this long quiet", parseSeconds, 120)
    .option("--coap-max-peers <count>", "CoAP peers served at once (more get 5.03)", parseCount, 1024)
    .option("--stats-interval <seconds>", "print the counters this often (0: only at the end)", parseSeconds, 0)
    .option("--gateway-key <key>", "the hub's GATEWAY_KEY, so it sees each device's own address (default: UMBRA_GATEWAY_KEY)")
    .action(async (flags: GatewayFlags, cmd: Command) => run(flags, globalOptions(cmd))),
);

async function run(flags: GatewayFlags, globals: GlobalOptions): Promise<void> {
  const hub = flags.hub ?? globals.url;
  try {
    hubSocketUrl(hub, "/");
  } catch (err) {
    throw new CliError(ExitCode.USAGE, `--hub: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (flags.mqtt === false && flags.coap === false) throw new CliError(ExitCode.USAGE, "--no-mqtt and --no-coap leave nothing to do");
  const log = createLogger({ json: globals.json });
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      hub,
      host: flags.host,
      mqttPort: flags.mqtt === false ? null : flags.mqtt,
      coapPort: flags.coap === false ? null : flags.coap,
      coapMaxPeers: flags.coapMaxPeers,
      coap: { idleMs: flags.coapIdle * 1000 },
      gatewayKey: flags.gatewayKey ?? process.env.UMBRA_GATEWAY_KEY,
      log,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new CliError(ExitCode.UNAVAILABLE, `cannot listen on ${flags.host}: ${code} (${(err as Error).message})`);
    }
    throw err;
  }
  void checkHub(hub, log);
  const stats = () => log.info("gateway.stats", statsFields(gateway.counters));
  const timer = flags.statsInterval > 0 ? setInterval(stats, flags.statsInterval * 1000) : null;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  if (timer !== null) clearInterval(timer);
  stats();
  await gateway.close();
  log.info("gateway.stopped", { signal });
}

/** A warning, not a failure: the hub may well come up after the gateway. */
async function checkHub(hub: string, log: Logger): Promise<void> {
  try {
    const r = await fetch(hubSocketUrl(hub, "/health").replace(/^ws/, "http"), { signal: AbortSignal.timeout(5000) });
    if (!r.ok) log.warn("gateway.hub", { hub, reason: `GET /health answered ${r.status}` });
  } catch (err) {
    log.warn("gateway.hub", { hub, reason: `unreachable: ${escapeLogText(err instanceof Error ? err.message : String(err))}` });
  }
}
