import { describe, expect, it } from "vitest";
import { toggled } from "./sets";

describe("toggled", () => {
  it("adds or removes one item in a copy, leaving the original alone", () => {
    const start = new Set(["a", "b"]);
    expect([...toggled(start, "c", true)]).toEqual(["a", "b", "c"]);
    expect([...toggled(start, "a", false)]).toEqual(["b"]);
    expect([...toggled(start, "a", true)]).toEqual(["a", "b"]);
    expect([...toggled(start, "z", false)]).toEqual(["a", "b"]);
    expect([...start]).toEqual(["a", "b"]);
  });
});
