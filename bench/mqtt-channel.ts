/**
 * `mqtt-channel`: publishers send QoS 1 to `channels/<ch>/messages/bench`; one subscriber holds
 * `channels/<ch>/messages/#` at QoS 1 (Umbra: all are devices connected to the channel).
 * Figure: delivered msg/s, publish→deliver p50/p99, lost (PUBACKed, never delivered).
 * Options: --publishers 10 --messages 10000 --inflight 20 --path direct|relay
 */
import { ids, measureRound, sizes, subscribeAll, withDevices } from "./lib/mqtt-scenario";
import type { Scenario } from "./lib/scenario";

const CHANNEL = "bench-ch";

export const scenario: Scenario = {
  name: "mqtt-channel",
  async measure(broker, args, progress) {
    const n = Math.round(args.num("publishers", 10));
    const { messages, inflight } = sizes(args, { messages: 10_000, inflight: 20 });
    const deviceIds = ["bench-ch-sub", ...ids("bench-ch-pub", n)];
    return withDevices(broker, deviceIds, { channel: CHANNEL }, progress, async ([sub, ...clients]) => {
      await subscribeAll([sub], `channels/${CHANNEL}/messages/#`, 1);
      const pubs = clients.map((client) => ({ client, topic: `channels/${CHANNEL}/messages/bench` }));
      const { figure } = await measureRound(broker, progress, {
        case: "mqtt-channel", metric: "delivered_msg_s", pubs, subs: [sub], qos: 1, inflight, perPub: Math.ceil(messages / n), goal: "delivery",
      });
      return [figure];
    });
  },
};
