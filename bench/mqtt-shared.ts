/**
 * `mqtt-shared`: the fan-in of `mqtt-fanin`, read by a shared subscription — N devices each publish
 * QoS 1 telemetry to their own `devices/<id>/telemetry`, and M app sessions in one group,
 * `$share/bench/devices/+/telemetry/#` at QoS 1, split it: each message is due once in the group.
 * Peer: mosquitto (Aedes has no shared subscriptions). Figure: delivered msg/s, publish→deliver
 * p50/p99, lost (PUBACKed, never delivered), `dup` (a message twice in the group), and each
 * member's share of the messages (`member_share_min`/`_max`, 1/M when even).
 * Options: --devices 200 --members 4 --messages 10000 --inflight 2 --path direct|relay
 */
import { connectMqtt, endAll } from "./lib/mqtt-clients";
import { ids, measureRound, sizes, subscribeAll, withDevices } from "./lib/mqtt-scenario";
import type { Scenario } from "./lib/scenario";

export const scenario: Scenario = {
  name: "mqtt-shared",
  peers: ["mosquitto"],
  async measure(broker, args, progress) {
    const n = Math.round(args.num("devices", 200));
    const m = Math.max(1, Math.round(args.num("members", 4)));
    const { messages, inflight } = sizes(args, { messages: 10_000, inflight: 2 });
    const deviceIds = ids("bench-sh", n);
    const members = await Promise.all(Array.from({ length: m }, (_, i) => connectMqtt(broker.app(`bench-shared-${i}`))));
    try {
      await subscribeAll(members, "$share/bench/devices/+/telemetry/#", 1);
      const got = members.map(() => 0);
      members.forEach((c, i) => c.on("message", () => got[i]!++));
      return await withDevices(broker, deviceIds, {}, progress, async (clients) => {
        const pubs = clients.map((client, i) => ({ client, topic: `devices/${deviceIds[i]}/telemetry` }));
        const { figure } = await measureRound(broker, progress, {
          case: "mqtt-shared", metric: "delivered_msg_s", pubs, subs: members, shared: true, qos: 1, inflight, perPub: Math.ceil(messages / n), goal: "delivery",
        });
        // Shares over the whole run (warm-up included): how evenly the group split the messages.
        const total = got.reduce((a, b) => a + b, 0) || 1;
        const share = (v: number) => Math.round((v / total) * 1000) / 1000;
        figure.extra = { ...figure.extra, members: m, member_share_min: share(Math.min(...got)), member_share_max: share(Math.max(...got)) };
        return [figure];
      });
    } finally {
      await endAll(members, true);
    }
  },
};
