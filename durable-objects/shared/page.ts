/**
 * One page of a list read from an object's storage, bounded by count and by size: an RPC's
 * arguments and results are limited to 32 MiB, so a page of large rows (1,000 command results of
 * 200 KB, 10,000 telemetry samples of 100 KB) would fail whole. A page stops early instead and
 * says there is more; the next one starts after its last row.
 */

/** The most a page's rows may hold (their stored text), well under the 32 MiB an RPC may carry. */
export const PAGE_BUDGET_BYTES = 8 * 1024 * 1024;

/**
 * Takes rows from `rows` (read `limit + 1` of them, so one more tells there is more) up to
 * `limit`, and no further once their `size` passed `budget` — at least one row, however large.
 */
export function takePage<R>(rows: Iterable<R>, limit: number, size: (row: R) => number, budget = PAGE_BUDGET_BYTES): { rows: R[]; more: boolean } {
  const out: R[] = [];
  let used = 0;
  for (const row of rows) {
    const n = size(row);
    if (out.length === limit || (out.length > 0 && used + n > budget)) return { rows: out, more: true };
    out.push(row);
    used += n;
  }
  return { rows: out, more: false };
}
