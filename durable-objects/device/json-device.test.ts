import { describe, expect, it } from "vitest";
import { handleJsonFrame, RATE_EXCEEDED, type JsonDeviceHost } from "./json-device";
import { FLOODING } from "../shared/token-bucket";

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

  it("refuses over the rate with busy, and tells a flooding device rate_exceeded (nothing stored either way)", () => {
    const now = Date.now();
    const stored: unknown[] = [];
    const at = (wait: number): JsonDeviceHost => ({ ...host, wait: () => wait, telemetry: (d) => stored.push(d) });
    const frame = JSON.stringify({ type: "telemetry", id: 7, data: { t: 1 } });
    expect(handleJsonFrame(at(250), frame, limits, now)).toEqual([expect.objectContaining({ type: "error", code: "busy", id: 7, retryAfterMs: 250 })]);
    expect(handleJsonFrame(at(FLOODING), frame, limits, now)).toEqual([expect.objectContaining({ type: "error", code: RATE_EXCEEDED })]);
    expect(stored).toEqual([]);
    expect(handleJsonFrame(at(0), frame, limits, now)).toEqual([{ type: "ack", id: 7 }]);
    expect(stored).toHaveLength(1);
  });

  it("names the shadow request a busy refusal is for, and never refuses a command's result or a method's answer for the rate", () => {
    const now = Date.now();
    const answered: string[] = [];
    let waits = 0;
    const busy: JsonDeviceHost = {
      ...host,
      wait: () => (waits++, 250),
      commandResult: (id) => (answered.push(id), true),
      methodResponse: (id) => (answered.push(id), true),
    };
    expect(handleJsonFrame(busy, JSON.stringify({ type: "shadow.update", state: { reported: { a: 1 } }, clientToken: "c-9" }), limits, now)).toEqual([
      expect.objectContaining({ type: "error", code: "busy", clientToken: "c-9", retryAfterMs: 250 }),
    ]);
    expect(handleJsonFrame(busy, JSON.stringify({ type: "command.result", id: "cmd_1", status: "completed" }), limits, now)).toEqual([]);
    expect(handleJsonFrame(busy, JSON.stringify({ type: "method.response", id: "req_1", status: 200 }), limits, now)).toEqual([]);
    expect(answered).toEqual(["cmd_1", "req_1"]);
    expect(waits).toBe(1); // answers take nothing from the rate
  });
});
