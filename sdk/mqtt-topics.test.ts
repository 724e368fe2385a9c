/** Device MQTT topics: a table of what each incoming topic means. */
import { describe, expect, it } from "vitest";
import { classifyTopic, commandResultTopic, deviceSubscriptions, methodResponseTopic } from "./mqtt-topics";

describe("classifyTopic", () => {
  it.each([
    ["$aws/things/d1/shadow/update/delta", { kind: "delta", shadow: "" }],
    ["$aws/things/d1/shadow/name/wifi/update/delta", { kind: "delta", shadow: "wifi" }],
    ["$aws/things/d1/shadow/update/accepted", { kind: "accepted", shadow: "", op: "update" }],
    ["$aws/things/d1/shadow/get/rejected", { kind: "rejected", shadow: "", op: "get" }],
    ["$aws/things/d1/shadow/name/wifi/update/rejected", { kind: "rejected", shadow: "wifi", op: "update" }],
    ["$aws/things/d1/shadow/update/documents", { kind: "other" }],
    ["$aws/things/d1/shadow/delete/accepted", { kind: "other" }],
    ["$aws/things/d2/shadow/update/delta", { kind: "other" }],
    ["devices/d1/commands/reboot", { kind: "command", name: "reboot", id: null }],
    ["devices/d1/commands/reboot/cmd_42", { kind: "command", name: "reboot", id: "cmd_42" }],
    ["devices/d1/commands/cmd_42/result", { kind: "other" }],
    ["devices/d1/commands/", { kind: "other" }],
    ["devices/d1/commands/a/b/c", { kind: "other" }],
    ["devices/d1/methods/ping", { kind: "method", name: "ping", id: null }],
    ["devices/d1/methods/ping/req-7", { kind: "method", name: "ping", id: "req-7" }],
    ["devices/d1/methods/req-7/response", { kind: "other" }],
    ["devices/d2/methods/ping", { kind: "other" }],
    ["devices/d1/telemetry", { kind: "other" }],
  ])("%s", (topic, expected) => {
    expect(classifyTopic("d1", topic)).toEqual(expected);
  });

  it("answers on topics it classifies as answers, never as requests", () => {
    expect(classifyTopic("d1", commandResultTopic("d1", "c1"))).toEqual({ kind: "other" });
    expect(classifyTopic("d1", methodResponseTopic("d1", "r1"))).toEqual({ kind: "other" });
  });

  it("subscribes only under the device's own topics", () => {
    for (const f of deviceSubscriptions("d1").flat()) expect(f.startsWith("$aws/things/d1/shadow/") || f.startsWith("devices/d1/")).toBe(true);
  });
});
