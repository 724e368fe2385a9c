import { describe, expect, it } from "vitest";
import { mapBounded, slices } from "./fan-out";

describe("bounded fan-out", () => {
  it("keeps at most `limit` calls in flight and the results in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded(Array.from({ length: 50 }, (_, i) => i), 16, async (i) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      inFlight--;
      return i * 2;
    });
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(16);
    expect(await mapBounded([], 16, async () => 1)).toEqual([]);
  });
});

describe("slices", () => {
  it("cuts a list in order into slices of at most the size", () => {
    expect(slices([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(slices([], 90)).toEqual([]);
    const ids = Array.from({ length: 181 }, (_, i) => `d${i}`);
    const cut = slices(ids, 90);
    expect(cut.map((s) => s.length)).toEqual([90, 90, 1]);
    expect(cut.flat()).toEqual(ids);
  });
});
