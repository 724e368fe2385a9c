import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { refusedCallTopic, hubPublished } from "./hub-topics";
import { appPolicy, authorize, explain, type Policy } from "./policy";

/** Grants everything a policy can name, `$` spaces included. */
const EVERYTHING: Policy = [{ effect: "allow", actions: ["publish", "subscribe", "receive"], topics: ["#", "$aws/#", "$SYS/#", "$custom/#"] }];

describe("hubPublished", () => {
  it.each([
    ["$aws/things/d1/shadow/update/accepted", true],
    ["$aws/things/d1/shadow/update/rejected", true],
    ["$aws/things/d1/shadow/update/delta", true],
    ["$aws/things/d1/shadow/update/documents", true],
    ["$aws/things/d1/shadow/get/accepted", true],
    ["$aws/things/d1/shadow/name/cfg/update/delta", true],
    ["$aws/rules/r1", true],
    ["$aws", true],
    ["$SYS/broker/load", true],
    ["devices/d1/presence", true],
    ["devices/d1/presence/x", true],
    ["devices/d1/rules/r1", true],
    // Requests, and what devices and apps publish.
    ["$aws/things/d1/shadow/update", false],
    ["$aws/things/d1/shadow/get", false],
    ["$aws/things/d1/shadow/delete", false],
    ["$aws/things/d1/shadow/name/cfg/update", false],
    ["devices/d1/telemetry", false],
    ["devices/d1/telemetry/presence", false],
    ["devices/d1/commands/reboot", false],
    ["devices/d1/commands/c1/result", false],
    ["devices/d1/methods/r1/response", false],
    ["channels/c1/messages/presence", false],
    ["$custom/x", false],
    ["presence", false],
  ])("%s → %s", (topic, want) => {
    expect(hubPublished(topic)).toBe(want);
  });

  it("no policy lets a client publish there, however wide; subscribing and receiving stay the policy's", () => {
    for (const topic of ["$aws/things/d1/shadow/update/accepted", "devices/d1/presence", "devices/d1/rules/r1", "$SYS/x"]) {
      // Before: allowed, and the forged message reached every app subscribed.
      expect(authorize(EVERYTHING, {}, "publish", topic)).toBe(false);
      expect(authorize(appPolicy(["admin"]), {}, "publish", topic)).toBe(false);
      expect(explain(EVERYTHING, {}, "publish", topic)).toEqual({ allowed: false, statement: null });
      expect(authorize(EVERYTHING, {}, "receive", topic)).toBe(true);
      expect(authorize(EVERYTHING, {}, "subscribe", topic)).toBe(true);
    }
    expect(authorize(EVERYTHING, {}, "publish", "$aws/things/d1/shadow/update")).toBe(true);
    expect(authorize(EVERYTHING, {}, "publish", "$custom/x")).toBe(true);
  });

  it("a topic is refused for publishing exactly when the hub publishes it or it is a bad command topic (or the policy refuses it)", () => {
    const level = fc.constantFrom("d1", "shadow", "update", "accepted", "delta", "presence", "rules", "name", "get", "x", "$aws", "things", "devices", "$SYS", "commands", "a b");
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 7 }), (levels) => {
        const topic = levels.join("/");
        expect(authorize(EVERYTHING, {}, "publish", topic)).toBe(!hubPublished(topic) && !refusedCallTopic(topic));
      }),
    );
  });
});

describe("refusedCallTopic", () => {
  it.each([
    // names REST refuses too: an app's MQTT publish was PUBACKed, never queued, and reached the device raw
    ["devices/d1/commands/ü", true],
    ["devices/d1/commands/a b", true],
    [`devices/d1/commands/${"x".repeat(65)}`, true],
    ["devices/d1/commands/", true],
    ["devices/d1/commands/reboot", false],
    [`devices/d1/commands/${"x".repeat(64)}`, false],
    ["devices/d1/commands/c1/result", false],
    ["devices/d1/telemetry/a b", false],
    // how the hub hands commands and calls to a device: a client's publish there reached it raw (h28)
    ["devices/d1/commands/reboot/cmd_forged", true],
    ["devices/d1/commands/a/b/c", true],
    ["devices/d1/methods/unlock", true],
    ["devices/d1/methods/unlock/req_forged", true],
    ["devices/d1/methods/bad name", true],
    ["devices/d1/methods/req_1/response", false],
  ])("%s → %s", (topic, want) => {
    expect(refusedCallTopic(topic)).toBe(want);
    expect(authorize(appPolicy(["commands:write"]), {}, "publish", topic)).toBe(!want && /^devices\/d1\/commands\/[^/]+$/.test(topic));
    // whatever a policy grants
    expect(authorize(appPolicy(["admin"]), {}, "publish", topic)).toBe(!want);
  });
});
