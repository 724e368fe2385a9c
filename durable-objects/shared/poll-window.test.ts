import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FLOOD_MIN_MESSAGES, PollWindow } from "./poll-window";

describe("PollWindow", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("calls a socket flooding only past both limits with no timer between its messages", () => {
    const w = new PollWindow(100);
    // Many messages, but quickly: not yet.
    for (let i = 0; i < FLOOD_MIN_MESSAGES * 2; i++) expect(w.flooding(50)).toBe(false);
    expect(w.flooding(150)).toBe(false);
    expect(w.flooding(151)).toBe(true);
  });

  it("never for a few messages, however long the turn", () => {
    const w = new PollWindow(100);
    for (let i = 0; i < FLOOD_MIN_MESSAGES; i++) expect(w.flooding(i * 1000)).toBe(false);
  });

  it("starts again once a timer ran (the runtime polled)", () => {
    const w = new PollWindow(100);
    for (let i = 0; i < FLOOD_MIN_MESSAGES; i++) w.flooding(0);
    vi.runAllTimers();
    for (let i = 0; i < FLOOD_MIN_MESSAGES; i++) expect(w.flooding(500)).toBe(false);
    expect(w.flooding(600)).toBe(false);
    expect(w.flooding(601)).toBe(true);
  });
});
