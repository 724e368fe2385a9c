import { describe, expect, it } from "vitest";
import { IN_LIST, mapBounded, retryTransient, rowsInSlices, slices } from "./fan-out";

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

describe("rowsInSlices", () => {
  it("queries each slice of at most IN_LIST once and joins their rows in order", async () => {
    const asked: number[][] = [];
    const ids = Array.from({ length: IN_LIST * 2 + 5 }, (_, i) => i);
    const rows = await rowsInSlices(ids, async (slice) => (asked.push(slice), slice.map((n) => n * 10)));
    expect(asked.map((s) => s.length)).toEqual([IN_LIST, IN_LIST, 5]);
    expect(rows).toEqual(ids.map((n) => n * 10));
    expect(await rowsInSlices([], async () => [1])).toEqual([]);
  });
});

describe("retryTransient", () => {
  const failing = (errors: unknown[]) => {
    let calls = 0;
    const call = async () => {
      const err = errors[calls++];
      if (err !== undefined) throw err;
      return calls;
    };
    return { call, calls: () => calls };
  };
  const transient = () => Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true });

  it("calls again after errors the runtime marks retryable, and returns the first success", async () => {
    const f = failing([transient(), transient()]);
    expect(await retryTransient(f.call, 3, 1)).toBe(3);
  });
  it("gives up after the last attempt with its error", async () => {
    const f = failing([transient(), transient(), transient(), transient()]);
    await expect(retryTransient(f.call, 3, 1)).rejects.toThrow("reset");
    expect(f.calls()).toBe(3);
  });
  it.each([
    ["an ordinary error", new Error("boom")],
    ["an overloaded object", Object.assign(new Error("Durable Object is overloaded."), { retryable: true, overloaded: true })],
    ["a thrown non-error", "boom"],
  ])("does not retry %s", async (_name, err) => {
    const f = failing([err]);
    await expect(retryTransient(f.call, 3, 1)).rejects.toBe(err);
    expect(f.calls()).toBe(1);
  });
});
