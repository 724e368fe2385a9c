import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { logError, logText } from "./log-text";

describe("logText", () => {
  it.each([
    ["plain", "devices/d1/telemetry", "devices/d1/telemetry"],
    ["newline forging a line", "t\n2026-01-01 INFO admin logged in", "t\\n2026-01-01 INFO admin logged in"],
    ["ANSI colour", "\u001b[31mred", "\\x1b[31mred"],
    ["CR, tab, NUL, DEL, C1", "a\rb\tc\u0000d\u007fe\u009b", "a\\rb\\tc\\x00d\\x7fe\\x9b"],
    ["separators and bidi", "a\u2028b\u202ec", "a\\u2028b\\u202ec"],
    ["backslash stays unambiguous", "a\\nb", "a\\\\nb"],
    ["unicode text kept", "température ✓", "température ✓"],
  ])("%s", (_, input, want) => expect(logText(input)).toBe(want));

  it("cuts long values", () => expect(logText("x".repeat(300), 10)).toBe("xxxxxxxxxx…(+290)"));

  it("never leaves a control character or line break", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(logText(s, 10_000)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      }),
    );
  });

  it("logError takes the message of an Error, or the value", () => {
    expect(logError(new Error("bad\ntopic"))).toBe("bad\\ntopic");
    expect(logError("x")).toBe("x");
  });
});
