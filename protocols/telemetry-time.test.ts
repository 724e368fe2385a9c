import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MAX_TELEMETRY_SKEW_MS, MIN_TELEMETRY_TS, checkTelemetryTs } from "./telemetry-time";

const now = Date.UTC(2026, 5, 1);
const day = 86_400_000;
const keep = 30 * day;

describe("checkTelemetryTs", () => {
  it.each([
    ["now", now, { ok: true }],
    ["a day ahead", now + day, { ok: true }],
    ["29 days old", now - 29 * day, { ok: true }],
    ["just over a day ahead", now + day + 1, { reason: "out_of_range" }],
    ["seconds", Math.floor(now / 1000), { reason: "out_of_range", message: expect.stringMatching(/epoch milliseconds.*seconds/) }],
    ["microseconds", now * 1000, { reason: "out_of_range", message: expect.stringMatching(/microseconds/) }],
    ["negative", -5, { reason: "out_of_range" }],
    ["fraction", now + 0.5, { reason: "out_of_range" }],
    ["1999", MIN_TELEMETRY_TS - 1, { reason: "out_of_range" }],
    ["31 days old", now - 31 * day, { reason: "too_old", message: expect.stringMatching(/retention of 30 days/) }],
  ])("%s", (_, ts, want) => {
    expect(checkTelemetryTs(ts, now, keep)).toMatchObject(want);
  });

  it.each([
    ["SenML milliseconds", now * 1000, /^t must be SenML time, epoch seconds .*got 1780272000000 \(it looks like milliseconds: divide by 1000\)$/],
    ["SenML 1999", MIN_TELEMETRY_TS - 1000, /^t must be SenML time, epoch seconds .*got 946684799$/],
  ])("a SenML time out of range is spoken of in seconds: %s", (_, ts, message) => {
    const r = checkTelemetryTs(ts, now, keep, "senml");
    expect(r).toMatchObject({ ok: false, reason: "out_of_range", message: expect.stringMatching(message) });
    expect(JSON.stringify(r)).not.toMatch(/milliseconds between/);
  });

  it("a SenML time past retention says t", () => {
    expect(checkTelemetryTs(now - 31 * day, now, keep, "senml")).toMatchObject({ reason: "too_old", message: expect.stringMatching(/^t 2026-05-01T00:00:00.000Z is older/) });
  });

  it("accepts exactly the integers in [max(2000, now - keep), now + 1 day]", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e16 }), (ts) => {
        const inside = ts >= Math.max(MIN_TELEMETRY_TS, now - keep) && ts <= now + MAX_TELEMETRY_SKEW_MS;
        expect(checkTelemetryTs(ts, now, keep).ok).toBe(inside);
      }),
    );
  });
});
