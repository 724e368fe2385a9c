import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCommandOutcome, isMethodStatus } from "./device-answers";

describe("device answers", () => {
  it("a method status is an integer from 100 to 599", () => {
    for (const ok of [100, 200, 404, 599]) expect(isMethodStatus(ok)).toBe(true);
    for (const bad of [99, 600, 99999, -200, 200.5, Number.NaN, Number.POSITIVE_INFINITY, "200", null, undefined, true]) expect(isMethodStatus(bad)).toBe(false);
    fc.assert(fc.property(fc.integer(), (n) => isMethodStatus(n) === (n >= 100 && n <= 599)));
  });

  it("a command outcome is completed, rejected or failed", () => {
    for (const ok of ["completed", "rejected", "failed"]) expect(isCommandOutcome(ok)).toBe(true);
    for (const bad of ["queued", "delivered", "expired", "Completed", "", null, 1]) expect(isCommandOutcome(bad)).toBe(false);
  });
});
