/**
 * `mqtt-telemetry`: many devices publish QoS 1 telemetry to their own `devices/<id>/telemetry`;
 * the figure is PUBACKs per second (latency = publish→PUBACK). Umbra's PUBACK promises a
 * durable write, so afterwards every acknowledged message is looked up in storage over REST
 * (`lost` = acknowledged but not stored); the peers store nothing (`lost` null).
 * Options: --devices 50 --messages 60000 --inflight 10 --path direct|relay (60,000: at ~15k/s a shorter run
 * measures under two seconds, and single runs of 20,000 spread by ±10%)
 */
import type { Broker } from "./lib/brokers";
import { ids, measureRound, sizes, withDevices } from "./lib/mqtt-scenario";
import type { Scenario } from "./lib/scenario";
import { storedLoss } from "./lib/stored";

export const scenario: Scenario = {
  name: "mqtt-telemetry",
  async measure(broker: Broker, args, progress) {
    const n = Math.round(args.num("devices", 50));
    const { messages, inflight } = sizes(args, { messages: 60_000, inflight: 10 });
    const deviceIds = ids("bench-tm", n);
    return withDevices(broker, deviceIds, {}, progress, async (clients) => {
      const pubs = clients.map((client, i) => ({ client, topic: `devices/${deviceIds[i]}/telemetry` }));
      const { figure, tally } = await measureRound(broker, progress, {
        case: "mqtt-telemetry", metric: "puback_s", pubs, subs: [], qos: 1, inflight, perPub: Math.ceil(messages / n), goal: "acks",
      });
      if (broker.entrance) {
        progress.set(`${broker.name}: checking stored rows`);
        figure.lost = await storedLoss(broker.entrance.admin, deviceIds, tally);
      }
      return [figure];
    });
  },
};
