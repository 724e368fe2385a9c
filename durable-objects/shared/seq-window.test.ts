import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EMPTY, WINDOW, addAll, has, type SeqWindow } from "./seq-window";

/** The model: the set of numbers that arrived; a number more than WINDOW below the highest counts as arrived. */
function modelHas(arrived: Set<number>, seq: number): boolean {
  const top = Math.max(0, ...arrived);
  return arrived.has(seq) || (seq > 0 && seq < top - WINDOW);
}

describe("SeqWindow", () => {
  it("knows exactly which numbers arrived within the window, whatever the order of the batches", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 20 }), { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 3200 }), { maxLength: 50 }), (batches, probes) => {
        let w: SeqWindow = EMPTY;
        const arrived = new Set<number>();
        for (const batch of batches) {
          w = addAll(w, batch);
          for (const s of batch) arrived.add(s);
        }
        for (const s of [...probes, ...arrived]) expect(has(w, s), `number ${s}`).toBe(modelHas(arrived, s));
      }),
    );
  });

  it("a number below the highest that never arrived is not taken for arrived (a call that failed while a later one landed)", () => {
    const w = addAll(addAll(EMPTY, [1, 2]), [4]);
    expect([1, 2, 3, 4, 5].map((s) => has(w, s))).toEqual([true, true, false, true, false]);
    expect(has(addAll(w, [3]), 3)).toBe(true);
  });

  it("reads a mark stored before the window was kept as: everything up to its highest arrived", () => {
    const legacy: SeqWindow = { last: 10, below: null };
    expect([3, 10, 11].map((s) => has(legacy, s))).toEqual([true, true, false]);
    const moved = addAll(legacy, [12]);
    expect([9, 10, 11, 12].map((s) => has(moved, s))).toEqual([true, true, false, true]);
    expect(addAll(legacy, [4, 10])).toBe(legacy);
  });
});
