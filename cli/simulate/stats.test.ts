/** Simulator counters: the rate window, the kept errors, the summary. */
import { describe, expect, it } from "vitest";
import { SimStats } from "./stats";

describe("SimStats", () => {
  it("counts acks per second over the last five seconds only", () => {
    const s = new SimStats();
    for (let t = 0; t < 10_000; t += 100) s.ack(t); // 10/s for 10 s
    expect(s.ackRate(10_000)).toBe(10);
    expect(s.ackRate(20_000)).toBe(0);
    expect(s.acked).toBe(100);
  });

  it("keeps the first ten error messages and counts them all", () => {
    const s = new SimStats();
    for (let i = 0; i < 12; i++) s.error(i % 2 ? new Error(`e${i}`) : `s${i}`);
    expect(s.errors).toBe(12);
    expect(s.firstErrors).toEqual(["s0", "e1", "s2", "e3", "s4", "e5", "s6", "e7", "s8", "e9"]);
  });

  it("summarizes a run, with the acknowledged rate over its length", () => {
    const s = new SimStats();
    s.connected = 3;
    s.sent = 31;
    for (let i = 0; i < 30; i++) s.ack(i);
    s.deltas = 1;
    const sum = s.summary({ protocol: "json", devices: 3, provisionMs: 20, connectMs: 50, seconds: 10, rate: 3 });
    expect(sum).toMatchObject({ connected: 3, sent: 31, acked: 30, ackedPerSecond: 3, deltas: 1, errors: 0, firstErrors: [] });
    expect(s.line(3, 30)).toBe("connected 3/3  msgs/s 6.0  acks 30/31  errors 0  deltas 1 commands 0 methods 0");
  });
});
