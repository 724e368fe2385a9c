/** Webhook events from topics: the filters a webhook registers and the mapping agree. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { topicMatches } from "../../protocols/mqtt/topics";
import { WEBHOOK_EVENT_TYPES, eventOf, eventOfTopic, payloadData, topicFilters } from "./events";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

describe("webhook topic filters", () => {
  it("subscribes every device, or one", () => {
    expect(topicFilters(["telemetry", "shadow"], null)).toEqual([
      "devices/+/telemetry/#",
      "$aws/things/+/shadow/update/documents",
      "$aws/things/+/shadow/name/+/update/documents",
    ]);
    expect(topicFilters(["presence", "command.result", "rule", "presence"], { deviceId: "d1" })).toEqual([
      "devices/d1/presence",
      "devices/d1/commands/+/result",
      "devices/d1/rules/+",
    ]);
    // group and tag filters are applied by the webhook's object, not by the topic space
    expect(topicFilters(["presence"], { group: "g" })).toEqual(["devices/+/presence"]);
  });
});

describe("webhook events from topics", () => {
  it.each([
    ["devices/d1/telemetry", "telemetry"],
    ["devices/d1/telemetry/temp", "telemetry"],
    ["devices/d1/telemetry/a/b", "telemetry"],
    ["$aws/things/d1/shadow/update/documents", "shadow"],
    ["$aws/things/d1/shadow/name/wifi/update/documents", "shadow"],
    ["devices/d1/presence", "presence"],
    ["devices/d1/commands/cmd_1/result", "command.result"],
    ["devices/d1/rules/rule_1", "rule"],
  ])("%s is a %s event of d1", (topic, type) => {
    expect(eventOfTopic(topic)).toEqual({ type, deviceId: "d1" });
  });

  it.each([
    "devices/d1/commands/reboot",
    "devices/d1/commands/reboot/cmd_1",
    "devices/d1/methods/m/response",
    "devices/d1/rules",
    "devices/d1/rules/r/x",
    "devices/d1/presence/x",
    "devices/d1/telemetryx",
    "$aws/things/d1/shadow/update/delta",
    "$aws/things/d1/shadow/update/accepted",
    "channels/c/messages/x",
  ])("%s is no event", (topic) => {
    expect(eventOfTopic(topic)).toBeNull();
  });

  it("matches exactly the topics its filters match", () => {
    const level = fc.constantFrom("devices", "$aws", "things", "shadow", "name", "n1", "update", "documents", "delta", "d1", "telemetry", "presence", "commands", "c1", "result", "rules", "r1", "x");
    const topic = fc.array(level, { minLength: 1, maxLength: 7 }).map((l) => l.join("/"));
    fc.assert(
      fc.property(topic, fc.constantFrom(...WEBHOOK_EVENT_TYPES), (t, type) => {
        const byFilter = topicFilters([type], null).some((f) => topicMatches(f, t));
        expect(eventOfTopic(t)?.type === type).toBe(byFilter);
      }),
      { numRuns: 5000 },
    );
  });

  it("builds the event from the payload, or null for types not wanted", () => {
    const m = { topic: "devices/d1/presence", payload: enc({ connected: true, protocol: "mqtt", ts: 5 }), qos: 1 as const, retain: false };
    expect(eventOf(m, ["presence"], 1000)).toEqual({ type: "presence", deviceId: "d1", ts: 1000, topic: m.topic, data: { connected: true, protocol: "mqtt", ts: 5 } });
    expect(eventOf(m, ["telemetry"], 1000)).toBeNull();
    const cmd = { ...m, topic: "devices/d1/commands/cmd_1/result", payload: enc({ id: "cmd_1", name: "reboot", status: "completed", result: { ok: true } }) };
    expect(eventOf(cmd, ["command.result"], 1)?.data).toEqual({ id: "cmd_1", name: "reboot", status: "completed", result: { ok: true } });
    const rule = { ...m, topic: "devices/d1/rules/rule_1", payload: enc({ rule: "rule_1", name: "hot", output: { t: 31 }, at: 9 }) };
    expect(eventOf(rule, ["rule"], 1)).toMatchObject({ type: "rule", deviceId: "d1", data: { rule: "rule_1", output: { t: 31 } } });
  });

  it("sends payloads that are not JSON as base64 with their content type", () => {
    expect(payloadData(enc("21.5"), undefined)).toBe(21.5);
    expect(payloadData(new Uint8Array([0xa1, 0x61, 0x74, 0x01]), "application/cbor")).toEqual({ contentType: "application/cbor", base64: "oWF0AQ==" });
    expect(payloadData(enc("on"), undefined)).toEqual({ contentType: "application/octet-stream", base64: "b24=" });
    expect(payloadData(new Uint8Array([0xff, 0x31]), undefined)).toEqual({ contentType: "application/octet-stream", base64: "/zE=" });
    const big = new Uint8Array(200_000).fill(0xfe);
    expect(payloadData(big, undefined)).toMatchObject({ base64: Buffer.from(big).toString("base64") });
  });
});
