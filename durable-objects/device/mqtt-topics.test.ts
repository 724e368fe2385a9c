import { describe, expect, it } from "vitest";
import { routeTopic, shadowTopic } from "./mqtt-topics";

describe("routeTopic", () => {
  it.each([
    ["$aws/things/d1/shadow/update", { kind: "shadow", shadow: "", op: "update" }],
    ["$aws/things/d1/shadow/get", { kind: "shadow", shadow: "", op: "get" }],
    ["$aws/things/d1/shadow/name/wifi/delete", { kind: "shadow", shadow: "wifi", op: "delete" }],
    ["$aws/things/d2/shadow/update", { kind: "other" }],
    ["$aws/things/d1/shadow/update/accepted", { kind: "other" }],
    ["$aws/things/d1/shadow/name/bad.name/update", { kind: "other" }],
    ["devices/d1/telemetry", { kind: "telemetry", key: null }],
    ["devices/d1/telemetry/engine/rpm", { kind: "telemetry", key: "engine/rpm" }],
    ["devices/d2/telemetry", { kind: "other" }],
    ["channels/c1/messages", { kind: "channel", channel: "c1" }],
    ["channels/c1/messages/a/b", { kind: "channel", channel: "c1" }],
    ["channels/c1/other", { kind: "other" }],
  ])("%s", (topic, want) => {
    expect(routeTopic("d1", topic)).toEqual(want);
  });

  it("builds shadow topic prefixes", () => {
    expect(shadowTopic("d1", "")).toBe("$aws/things/d1/shadow");
    expect(shadowTopic("d1", "wifi")).toBe("$aws/things/d1/shadow/name/wifi");
  });
});
