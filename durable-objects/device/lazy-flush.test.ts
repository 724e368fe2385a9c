import { describe, expect, it, vi } from "vitest";
import { LazyFlush } from "./lazy-flush";

describe("LazyFlush", () => {
  it("writes a left change once after the delay, unless a write took it first", () => {
    vi.useFakeTimers();
    try {
      const flush = vi.fn();
      const lazy = new LazyFlush(flush, 1_000);
      lazy.pending();
      lazy.pending(); // one flush for both
      vi.advanceTimersByTime(999);
      expect(flush).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(flush).toHaveBeenCalledTimes(1);
      lazy.pending();
      lazy.written();
      vi.advanceTimersByTime(5_000);
      expect(flush).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
