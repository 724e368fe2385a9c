/** Log lines: format, and escaping of whatever peers supply. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeLogText, formatLine } from "./log";

const at = new Date("2026-01-02T03:04:05.000Z");
// any UTF-16 code units, lone surrogates included (fc.string's "binary" unit is slow to start)
const anyText = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units));

describe("log lines", () => {
  it("writes text lines with bare safe values and escaped others", () => {
    expect(formatLine(at, "info", "mqtt.close", { peer: "127.0.0.1:5000", client: "lamp 1", up: 10, none: undefined }, false)).toBe(
      '2026-01-02T03:04:05.000Z info mqtt.close peer=127.0.0.1:5000 client="lamp 1" up=10',
    );
  });

  it.each([
    ["a newline cannot start a forged line", "x\n2026 info fake", '"x\\n2026 info fake"'],
    ["quotes and backslashes", 'a"b\\c', '"a\\"b\\\\c"'],
    ["escape sequences cannot reach the terminal", "\u001b[2J", '"\\u001b[2J"'],
    ["a right-to-left override is shown, not obeyed", "ab\u202ecd", '"ab\\u202ecd"'],
    ["non-ASCII is escaped", "é", '"\\u00e9"'],
  ])("%s", (_name, input, expected) => expect(escapeLogText(input)).toBe(expected));

  it("cuts long values", () => expect(escapeLogText("x".repeat(500))).toHaveLength(200 + 2 + 6));

  it("keeps every text line one printable-ASCII line, whatever the peer sent", () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(formatLine(at, "warn", "e", { client: s }, false)).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });

  it("keeps JSON lines printable ASCII that parse back to the same values", () => {
    fc.assert(
      fc.property(anyText, fc.integer(), (s, n) => {
        const line = formatLine(at, "info", "e", { client: s, n }, true);
        expect(line).toMatch(/^[\x20-\x7e]*$/);
        expect(JSON.parse(line)).toEqual({ time: at.toISOString(), level: "info", event: "e", client: s, n });
      }),
    );
  });
});
