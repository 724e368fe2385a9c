/**
 * `mqtt-fanin`: N devices each publish QoS 1 telemetry to their own `devices/<id>/telemetry`;
 * one fleet-wide reader subscribed to `devices/+/telemetry/#` at QoS 1 receives them all (Umbra:
 * an app session on `/mqtt`, user `app`, the admin token as password; peers: a wildcard
 * subscriber). Figure: delivered msg/s, publish→deliver p50/p99, lost (PUBACKed, never delivered).
 * Options: --devices 200 --messages 10000 --inflight 2 --path direct|relay
 */
import { connectMqtt, endAll } from "./lib/mqtt-clients";
import { ids, measureRound, sizes, subscribeAll, withDevices } from "./lib/mqtt-scenario";
import type { Scenario } from "./lib/scenario";

export const scenario: Scenario = {
  name: "mqtt-fanin",
  async measure(broker, args, progress) {
    const n = Math.round(args.num("devices", 200));
    const { messages, inflight } = sizes(args, { messages: 10_000, inflight: 2 });
    const deviceIds = ids("bench-fi", n);
    const app = await connectMqtt(broker.app("bench-fanin-app"));
    try {
      await subscribeAll([app], "devices/+/telemetry/#", 1);
      return await withDevices(broker, deviceIds, {}, progress, async (clients) => {
        const pubs = clients.map((client, i) => ({ client, topic: `devices/${deviceIds[i]}/telemetry` }));
        const { figure } = await measureRound(broker, progress, {
          case: "mqtt-fanin", metric: "delivered_msg_s", pubs, subs: [app], qos: 1, inflight, perPub: Math.ceil(messages / n), goal: "delivery",
        });
        return [figure];
      });
    } finally {
      await endAll([app], true);
    }
  },
};
