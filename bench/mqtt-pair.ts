/**
 * `mqtt-pair`: one publisher, one subscriber on a channel topic, once at QoS 0 and once at
 * QoS 1 (subscription and publish at the same QoS). QoS 0 flow control: at most `--inflight`
 * messages sent but not yet received. Figures: delivered msg/s and publish→deliver p50/p99;
 * QoS 0 loss is reported but allowed by the protocol.
 * Options: --messages 10000 --inflight 10 --path direct|relay
 */
import { measureRound, sizes, subscribeAll, withDevices } from "./lib/mqtt-scenario";
import type { Figure, Scenario } from "./lib/scenario";

const CHANNEL = "bench-pair";

export const scenario: Scenario = {
  name: "mqtt-pair",
  async measure(broker, args, progress) {
    const { messages, inflight } = sizes(args, { messages: 10_000, inflight: 10 });
    const figures: Figure[] = [];
    for (const qos of [0, 1] as const) {
      const deviceIds = [`bench-pair-sub-q${qos}`, `bench-pair-pub-q${qos}`];
      figures.push(await withDevices(broker, deviceIds, { channel: CHANNEL }, progress, async ([sub, pub]) => {
        await subscribeAll([sub], `channels/${CHANNEL}/messages/q${qos}`, qos);
        const { figure } = await measureRound(broker, progress, {
          case: `mqtt-pair-qos${qos}`, metric: "delivered_msg_s", pubs: [{ client: pub, topic: `channels/${CHANNEL}/messages/q${qos}` }],
          subs: [sub], qos, inflight, perPub: messages, goal: "delivery", lossAllowed: qos === 0,
        });
        return figure;
      }));
    }
    return figures;
  },
};
