import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { takePage } from "./page";

describe("takePage", () => {
  it("stops at the limit or past the budget, keeps at least one row, and says whether more remain", () => {
    expect(takePage([1, 2, 3], 2, () => 1)).toEqual({ rows: [1, 2], more: true });
    expect(takePage([1, 2], 2, () => 1)).toEqual({ rows: [1, 2], more: false });
    expect(takePage([5, 5, 5], 10, (n) => n, 12)).toEqual({ rows: [5, 5], more: true });
    expect(takePage([50, 1], 10, (n) => n, 12)).toEqual({ rows: [50], more: true });
    expect(takePage([], 10, () => 1)).toEqual({ rows: [], more: false });
  });

  it("pages through everything in order, none twice, none left out", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 })), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 150 }), (sizes, limit, budget) => {
        const seen: number[] = [];
        let from = 0;
        for (;;) {
          const page = takePage(sizes.slice(from, from + limit + 1).map((_, i) => from + i), limit, (i) => sizes[i]!, budget);
          expect(page.rows.length).toBeLessThanOrEqual(limit);
          if (page.rows.length > 1) expect(page.rows.reduce((a, i) => a + sizes[i]!, 0)).toBeLessThanOrEqual(budget);
          seen.push(...page.rows);
          if (!page.more) break;
          from = page.rows[page.rows.length - 1]! + 1;
        }
        expect(seen).toEqual(sizes.map((_, i) => i));
      }),
    );
  });
});
