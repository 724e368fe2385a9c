/** The telemetry section's choice of what to draw, and its note. */
import { describe, expect, it } from "vitest";
import { drawable, loadKey, telemetryNote } from "./telemetry-view";

describe("drawable", () => {
  const key15 = loadKey("d", 15 * 60_000, 1_000, true);
  const key30d = loadKey("d", 30 * 86_400_000, 1_000, true);
  const data = { key: key15, points: 3 };

  it("draws data loaded for the settings now chosen", () => {
    expect(drawable(data, undefined, key15)).toBe(data);
  });

  it("draws nothing once a load failed (the 15-minute chart must not stay on a 30-day axis)", () => {
    expect(drawable(data, new Error("400"), key15)).toBeUndefined();
  });

  it("draws nothing while the data on hand was loaded for another range or bucket", () => {
    expect(drawable(data, undefined, key30d)).toBeUndefined();
    expect(drawable(data, undefined, loadKey("d", 15 * 60_000, 5_000, true))).toBeUndefined();
    expect(drawable(null, undefined, key15)).toBeUndefined();
  });
});

describe("telemetryNote", () => {
  it("says raw samples are raw, not aggregated by the hub", () => {
    expect(telemetryNote("raw", 0)).toBe("Raw samples from the hub, one point per sample.");
    expect(telemetryNote("raw", 0)).not.toContain("Aggregated");
  });

  it("names the bucket width and who averaged", () => {
    expect(telemetryNote("history", 30_000)).toBe("Aggregated by the hub (history API). Buckets: 30 s.");
    expect(telemetryNote("raw", 60_000)).toBe("Raw samples from the hub, averaged per bucket in the browser. Buckets: 1 min.");
  });
});
