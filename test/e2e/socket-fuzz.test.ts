/**
 * Socket-level fuzzing (short pass; `npm run fuzz -- --sockets` runs the long one on a hub of
 * its own): mutated MQTT (both paths), CoAP and JSON frames sent to the suite's hub while
 * well-behaved devices on every protocol keep sending acknowledged telemetry. The hub keeps
 * answering /health and the good devices stay connected and lose nothing.
 */
import { describe, expect, it } from "vitest";
import { hubAt } from "../../bench/lib/hub";
import { socketFuzz } from "../fuzz/socket";
import { adminToken, hubUrl } from "./client";

describe("socket-level fuzzing", () => {
  it("garbage on every protocol harms no one else", async () => {
    const report = await socketFuzz(hubAt(hubUrl(), adminToken()), {
      seed: 0x50c4, sessions: 100, maxFrames: 12, concurrency: 5, steadyPerProtocol: 2, periodMs: 100,
    });
    expect(report.healthFailures).toBe(0);
    for (const [protocol, s] of Object.entries(report.steady)) {
      expect({ protocol, lost: s.lost, errors: s.errors, down: s.down, firstError: s.firstError }).toEqual({ protocol, lost: 0, errors: 0, down: 0, firstError: undefined });
      expect(s.acked).toBeGreaterThan(0);
    }
    expect(report.frames).toBeGreaterThan(500);
    expect(report.ok).toBe(true);
  }, 180_000);
});
