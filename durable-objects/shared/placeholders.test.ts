import { describe, expect, it } from "vitest";
import { listPlaceholders, rowPlaceholders } from "./placeholders";

describe("placeholders", () => {
  it("make n rows of width parameters, and lists for IN (…)", () => {
    expect(rowPlaceholders(1, 1)).toBe("(?)");
    expect(rowPlaceholders(2, 3)).toBe("(?, ?, ?), (?, ?, ?)");
    expect(rowPlaceholders(3, 2)).toBe("(?, ?), (?, ?), (?, ?)");
    expect(listPlaceholders(1)).toBe("?");
    expect(listPlaceholders(4)).toBe("?, ?, ?, ?");
  });

  it("count exactly n × width parameters for every shape a batch uses (cached shapes never collide)", () => {
    for (let n = 1; n <= 256; n++) for (const w of [1, 2, 3, 4, 7, 90]) expect(rowPlaceholders(n, w).split("?").length - 1).toBe(n * w);
  });
});
