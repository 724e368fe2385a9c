/** Option value parsers: a bad value is a usage error that says what is wrong. */
import { describe, expect, it } from "vitest";
import { parseCommandTtl, parseCount, parseMethodTimeout } from "./parse";

describe("option values", () => {
  it("a negative count is out of range, not 'not a whole number'", () => {
    expect(() => parseCount("-5")).toThrow("a count must be between 1 and 1000000");
    // the hub takes TTLs up to 30 days; the CLI stopped at 1,000,000 s and called it a count
    expect(parseCommandTtl("2592000")).toBe(2_592_000);
    expect(() => parseCommandTtl("2592001")).toThrow("a command TTL (seconds) must be between 1 and 2592000");
    expect(() => parseCount("1.5")).toThrow("a count must be a whole number");
    expect(parseCount("7")).toBe(7);
  });
  it("a method timeout is refused locally past the hub's 300 s", () => {
    expect(parseMethodTimeout("300")).toBe(300);
    expect(() => parseMethodTimeout("301")).toThrow("between 1 and 300");
    expect(() => parseMethodTimeout("0")).toThrow("between 1 and 300");
  });
});
