/** The chart caption's newest values: sample times for samples, bucket starts named as such. */
import { describe, expect, it } from "vitest";
import { latestText } from "./latest";
import type { Series } from "./buckets";

const series: Series = { t: [60, 90], avg: { temp: [21.5, 22.25], hum: [40, null] }, min: {}, max: {}, count: {} };
const iso = (ms: number) => new Date(ms).toISOString();

describe("latestText", () => {
  it("gives each key's newest value and the sample's time when unbucketed", () => {
    expect(latestText(series, ["hum", "temp"], 0, iso)).toBe("latest hum 40, temp 22.25 at 1970-01-01T00:01:30.000Z");
  });

  it("says a bucketed time is the start of the newest bucket, not a sample's time", () => {
    expect(latestText(series, ["temp"], 30_000, iso)).toBe("latest temp 22.25 (average of the 30 s bucket starting 1970-01-01T00:01:30.000Z)");
  });

  it("is null when no key has a value", () => {
    expect(latestText(series, ["volts"], 0, iso)).toBeNull();
  });
});
