import { describe, expect, it } from "vitest";
import { handleJsonFrame, type JsonDeviceHost } from "./json-device";

const limits = { maxMessageBytes: 65_536, jsonMaxDepth: 32, telemetryMaxAgeMs: 86_400_000 };
const host: JsonDeviceHost = {
  shadow: () => {
    throw new Error("not used");
  },
  telemetry: () => {},
  wait: () => 0,
  commandResult: () => false,
  methodResponse: () => false,
  observe: () => {},
};

describe("handleJsonFrame", () => {
  it("names the command or method call in the refusal of a result nobody waits for", () => {
    const now = Date.now();
    expect(handleJsonFrame(host, JSON.stringify({ type: "command.result", id: "cmd_1", status: "completed" }), limits, now)).toEqual([
      { type: "error", code: "unknown_command", message: 'no pending command "cmd_1"', id: "cmd_1" },
    ]);
    expect(handleJsonFrame(host, JSON.stringify({ type: "method.response", id: "req_1", status: 200 }), limits, now)).toEqual([
      { type: "error", code: "unknown_request", message: 'no method call "req_1" is waiting (late or unknown)', id: "req_1" },
    ]);
  });
});
