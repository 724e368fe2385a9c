/** Sharding of the topic space: a publish's one shard is always among its matching subscriptions' shards. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { topicMatches } from "../../protocols/mqtt/topics";
import { filterRoot, shardOf, shardsOfFilter, topicClass } from "./shards";

const level = fc.constantFrom("devices", "channels", "$aws", "things", "d1", "d2", "kitchen", "factory", "alarms", "telemetry", "");
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join("/"));
const filterLevel = fc.oneof(level, fc.constant("+"));
const filter = fc
  .tuple(fc.array(filterLevel, { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([l, hash]) => (hash ? [...l, "#"] : l.length ? l : ["+"]).join("/"));

function shardOfTopic(t: string, n: number): number | null {
  const c = topicClass(t);
  if (c.kind === "reserved") return null;
  return shardOf(c.kind === "device" ? c : c, n);
}

describe("topic shards", () => {
  it("classifies topics", () => {
    expect(topicClass("devices/d1/telemetry/temp")).toEqual({ kind: "device", deviceId: "d1" });
    expect(topicClass("$aws/things/d1/shadow/update")).toEqual({ kind: "device", deviceId: "d1" });
    expect(topicClass("channels/kitchen/messages/x")).toEqual({ kind: "shared", root: "channels/kitchen" });
    expect(topicClass("factory/line1/alarms")).toEqual({ kind: "shared", root: "factory" });
    expect(topicClass("$SYS/broker/uptime")).toEqual({ kind: "reserved" });
    expect(topicClass("$aws/rules/x")).toEqual({ kind: "reserved" });
    expect(topicClass("$TopicA/B")).toEqual({ kind: "shared", root: "$TopicA" });
    expect(topicClass("/TopicA")).toEqual({ kind: "shared", root: "" });
  });

  it("puts literal roots in one shard and wildcard roots in all", () => {
    expect(filterRoot("factory/+/alarms")).toEqual({ kind: "shared", root: "factory" });
    expect(filterRoot("devices/d1/#")).toEqual({ kind: "device", deviceId: "d1" });
    expect(filterRoot("devices/+/telemetry/#")).toBeNull();
    expect(filterRoot("#")).toBeNull();
    expect(shardsOfFilter("+/alarms", 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(shardsOfFilter("channels/kitchen/messages/#", 8)).toHaveLength(1);
  });

  it("places a shared subscription by its filter, not by `$share`", () => {
    for (const f of ["factory/+/alarms", "devices/d1/#", "channels/kitchen/messages/#", "+/alarms", "#"]) expect(shardsOfFilter(`$share/g/${f}`, 8)).toEqual(shardsOfFilter(f, 8));
  });

  it("a topic's shard is in the shards of every filter that matches it", () => {
    fc.assert(
      fc.property(topic, filter, fc.integer({ min: 1, max: 32 }), (t, f, n) => {
        if (!topicMatches(f, t)) return;
        const s = shardOfTopic(t, n);
        if (s === null) return;
        expect(shardsOfFilter(f, n)).toContain(s);
      }),
      { numRuns: 50_000 },
    );
  });
});
