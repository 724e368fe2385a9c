import { describe, expect, it } from "vitest";
import { decodeNumericCursor, encodeCursor } from "./pagination";

describe("decodeNumericCursor", () => {
  it("reads a position this API handed out, and refuses any other key (Number() took ' 5', '0x10', '-5', '')", () => {
    expect(decodeNumericCursor(undefined)).toBeNull();
    expect(decodeNumericCursor(encodeCursor("42"))).toBe(42);
    for (const key of [" 5", "0x10", "-5", "1e3", "5 ", "9".repeat(16)]) expect(() => decodeNumericCursor(encodeCursor(key)), key).toThrow("cursor is not one this API handed out");
  });
});
