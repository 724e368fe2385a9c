import { describe, expect, it } from "vitest";
import { routeTopic, shadowTopic } from "./mqtt-topics";

describe("routeTopic", () => {
  it.each([
    ["$aws/things/d1/shadow/update", { kind: "shadow", shadow: "", op: "update" }],
    ["$aws/things/d1/shadow/get", { kind: "shadow", shadow: "", op: "get" }],
    ["$aws/things/d1/shadow/name/wifi/delete", { kind: "shadow", shadow: "wifi", op: "delete" }],
    ["$aws/things/d2/shadow/update", { kind: "device", deviceId: "d2" }],
    ["$aws/things/d1/shadow/update/accepted", { kind: "own" }],
    // Any name is a shadow request: the shadow route answers one that is no shadow name on …/rejected.
    ["$aws/things/d1/shadow/name/bad.name/update", { kind: "shadow", shadow: "bad.name", op: "update" }],
    ["$aws/things/d1/shadow/name/fw:ota/get", { kind: "shadow", shadow: "fw:ota", op: "get" }],
    ["devices/d1/telemetry", { kind: "telemetry", key: null }],
    ["devices/d1/telemetry/engine/rpm", { kind: "telemetry", key: "engine/rpm" }],
    ["devices/d1/events/boot", { kind: "own" }],
    ["devices/d1/commands/cmd_1/result", { kind: "commandResult", commandId: "cmd_1" }],
    ["devices/d1/methods/req_1/response", { kind: "methodResponse", requestId: "req_1" }],
    ["devices/d2/commands/cmd_1/result", { kind: "device", deviceId: "d2" }],
    ["devices/d2/telemetry", { kind: "device", deviceId: "d2" }],
    ["channels/c1/messages", { kind: "shared" }],
    ["channels/c1/messages/a/b", { kind: "shared" }],
    ["factory/line1/alarms", { kind: "shared" }],
    ["$SYS/broker/uptime", { kind: "reserved" }],
  ])("%s", (topic, want) => {
    expect(routeTopic("d1", topic)).toEqual(want);
  });

  it("builds shadow topic prefixes", () => {
    expect(shadowTopic("d1", "")).toBe("$aws/things/d1/shadow");
    expect(shadowTopic("d1", "wifi")).toBe("$aws/things/d1/shadow/name/wifi");
  });
});
