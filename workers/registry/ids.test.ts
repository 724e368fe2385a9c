import { describe, expect, it } from "vitest";
import { USER_ID, assertUserId } from "./ids";

describe("user-chosen ids", () => {
  it.each(["d1", "lamp-1", "a.b", "...", ".x", "x.", "a:b_c", "x".repeat(128)])("accepts %s", (id) => expect(USER_ID.test(id)).toBe(true));
  it.each([".", "..", "", "a/b", "a b", "a%2F", "x".repeat(129), "é", "a\n"])("refuses %j", (id) => {
    expect(USER_ID.test(id)).toBe(false);
    expect(() => assertUserId("device id", id)).toThrow(/device id must match/);
  });
});
