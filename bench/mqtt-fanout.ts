/**
 * `mqtt-fanout`: one publisher sends QoS 1 to a channel topic that `--subscribers` (100)
 * devices hold at QoS 1. Figure: deliveries/s (each message counts once per subscriber),
 * publish→deliver p50/p99, lost (PUBACKed messages missing at some subscriber, per subscriber).
 * Options: --subscribers 100 --messages 500 --inflight 10 --path direct|relay
 */
import { ids, measureRound, sizes, subscribeAll, withDevices } from "./lib/mqtt-scenario";
import type { Scenario } from "./lib/scenario";

const CHANNEL = "bench-fo";

export const scenario: Scenario = {
  name: "mqtt-fanout",
  async measure(broker, args, progress) {
    const n = Math.round(args.num("subscribers", 100));
    const { messages, inflight } = sizes(args, { messages: 500, inflight: 10 });
    const deviceIds = ["bench-fo-pub", ...ids("bench-fo-sub", n)];
    return withDevices(broker, deviceIds, { channel: CHANNEL }, progress, async ([pub, ...subs]) => {
      await subscribeAll(subs, `channels/${CHANNEL}/messages/#`, 1);
      const { figure } = await measureRound(broker, progress, {
        case: "mqtt-fanout", metric: "deliveries_s", pubs: [{ client: pub, topic: `channels/${CHANNEL}/messages/all` }],
        subs, qos: 1, inflight, perPub: messages, goal: "delivery",
      });
      figure.extra = { ...figure.extra, subscribers: n, published_msg_s: Math.round(figure.value / n) };
      return [figure];
    });
  },
};
