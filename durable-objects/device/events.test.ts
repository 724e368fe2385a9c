import { describe, expect, it } from "vitest";
import { sseFrame } from "./events";

describe("sseFrame", () => {
  it("names the event by its type and carries no id (ids per object life restarted at 1, and nothing is replayed)", () => {
    const frame = sseFrame({ type: "telemetry", deviceId: "d", ts: 1, data: { a: 1 } });
    expect(frame).toBe('event: telemetry\ndata: {"type":"telemetry","deviceId":"d","ts":1,"data":{"a":1}}\n\n');
    expect(frame).not.toMatch(/^id:/m);
  });
});
