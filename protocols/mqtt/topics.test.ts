import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topicFilter, topicName } from "./codec.arbitraries";
import { filterContains, filtersIntersect, isValidTopicFilter, isValidTopicName, topicMatches, utf8Length } from "./topics";

describe("isValidTopicName", () => {
  it.each(["a", "a/b", "/", "//", "a/", "$SYS/x", " ", "ü/😀", "\ufeff", "a".repeat(65535), "é".repeat(32767)])("accepts %j", (t) => {
    expect(isValidTopicName(t)).toBe(true);
  });
  it.each(["", "a/+", "+", "#", "a/#", "a#", "a+b", "a\u0000", "\ud800", "a\udc00b", "a".repeat(65536), "é".repeat(32768)])("refuses %j", (t) => {
    expect(isValidTopicName(t)).toBe(false);
  });
});

describe("isValidTopicFilter", () => {
  it.each(["#", "+", "a/#", "+/+", "/+", "a//#", "+/#", "$SYS/#", "a/+/c", "+/", "$share/g/t"])("accepts %j", (f) => {
    expect(isValidTopicFilter(f)).toBe(true);
  });
  it.each(["", "a#", "#/a", "a/#/b", "a+", "+a", "a/b+", "##", "a/++", "a/#/", "a\u0000", "\udfff"])("refuses %j", (f) => {
    expect(isValidTopicFilter(f)).toBe(false);
  });
});

// Spec §4.7 examples plus edge cases: [filter, topic, matches]
const MATCHES: [string, string, boolean][] = [
  ["sport/tennis/player1/#", "sport/tennis/player1", true],
  ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
  ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
  ["sport/#", "sport", true],
  ["#", "sport", true],
  ["#", "/", true],
  ["sport/tennis/+", "sport/tennis/player1", true],
  ["sport/tennis/+", "sport/tennis/player1/ranking", false],
  ["sport/+", "sport", false],
  ["sport/+", "sport/", true],
  ["+/+", "/finance", true],
  ["/+", "/finance", true],
  ["+", "/finance", false],
  ["+", "finance", true],
  ["#", "$SYS/monitor/Clients", false], // [MQTT-4.7.2-1]
  ["+/monitor/Clients", "$SYS/monitor/Clients", false],
  ["$SYS/#", "$SYS/monitor/Clients", true],
  ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
  ["$SYS", "$SYS", true],
  ["a/$b", "a/$b", true],
  ["a/+", "a/$b", true], // only the first level is special
  ["ACCOUNTS", "Accounts", false],
  ["a/b", "a/b/", false],
  ["a/b/", "a/b", false],
  ["a/+/b", "a//b", true],
  ["a/b", "a/bc", false],
  ["a/bc", "a/b", false],
  ["a/#", "a", true],
  ["a/#", "ab", false],
  ["a/+/#", "a", false],
  ["a/+/#", "a/b", true],
  ["+/#", "a", true],
  ["ü/😀", "ü/😀", true],
];

describe("topicMatches", () => {
  it.each(MATCHES)("%j ~ %j → %s", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

/** Reference matcher built on split(), to check the index-walking one. */
function reference(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (t[0].startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

// Small alphabets so that random filters and topics often overlap.
const level = fc.constantFrom("a", "b", "", "$s");
const smallTopic = fc.array(fc.constantFrom("a", "b", "", "$s", "z"), { minLength: 1, maxLength: 4 }).map((l) => l.join("/"));
const smallFilter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant("+")), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([l, hash]) => (hash ? [...l, "#"] : l).join("/"));

/** Every topic over the small alphabet with 1..4 levels. */
const UNIVERSE: string[] = (() => {
  const out: string[] = [];
  const levels = ["a", "b", "", "$s", "z"];
  const grow = (prefix: string[]) => {
    if (prefix.length > 0) out.push(prefix.join("/"));
    if (prefix.length < 4) for (const l of levels) grow([...prefix, l]);
  };
  grow([]);
  return out;
})();

describe("topic properties", () => {
  it("a topic always matches itself", () => {
    fc.assert(fc.property(topicName, (t) => topicMatches(t, t)));
  });
  it("# matches every topic not starting with $", () => {
    fc.assert(fc.property(topicName, (t) => topicMatches("#", t) === !t.startsWith("$")));
  });
  it("agrees with a split-based reference", () => {
    fc.assert(fc.property(smallFilter, smallTopic, (f, t) => topicMatches(f, t) === reference(f, t)), { numRuns: 3000 });
    fc.assert(fc.property(topicFilter, topicName, (f, t) => topicMatches(f, t) === reference(f, t)), { numRuns: 1000 });
  });
  it("every generated filter and name is valid", () => {
    fc.assert(fc.property(topicFilter, topicName, (f, t) => isValidTopicFilter(f) && isValidTopicName(t)));
  });
  it("utf8Length agrees with TextEncoder", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => utf8Length(s) === new TextEncoder().encode(s).length));
  });
});

describe("filter algebra", () => {
  it.each<[string, string, boolean]>([
    ["devices/${d}/commands/#".replace("${d}", "d1"), "devices/d1/commands/#", true],
    ["devices/d1/commands/#", "devices/d1/commands/+/x", true],
    ["devices/d1/commands/#", "devices/d1/commands", true],
    ["devices/d1/telemetry", "devices/+/telemetry", false],
    ["a/+", "a/#", false],
    ["a/#", "a/+", true],
    ["#", "$SYS/#", false],
    ["#", "+/x", true],
    ["+/#", "$aws/x", false],
    ["$aws/#", "$aws/things/+/shadow/#", true],
    ["a/+/c", "a/b/c", true],
    ["a/b/c", "a/+/c", false],
    ["a", "a/#", false],
  ])("filterContains(%j, %j) → %s", (outer, inner, expected) => {
    expect(filterContains(outer, inner)).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ["devices/+/telemetry", "devices/d2/#", true],
    ["a", "a/#", true],
    ["a/b", "a/c", false],
    ["+", "$s", false],
    ["#", "$s/#", false],
    ["#", "+", true],
    ["a/+", "a", false],
    ["$s/+", "$s/#", true],
  ])("filtersIntersect(%j, %j) → %s", (a, b, expected) => {
    expect(filtersIntersect(a, b)).toBe(expected);
  });

  it("containment is exactly: every topic of inner is a topic of outer", () => {
    fc.assert(
      fc.property(smallFilter, smallFilter, (outer, inner) => {
        const brute = UNIVERSE.every((t) => !topicMatches(inner, t) || topicMatches(outer, t));
        return filterContains(outer, inner) === brute;
      }),
      { numRuns: 2000 },
    );
  });

  it("intersection is exactly: some topic matches both", () => {
    fc.assert(
      fc.property(smallFilter, smallFilter, (a, b) => {
        const brute = UNIVERSE.some((t) => topicMatches(a, t) && topicMatches(b, t));
        return filtersIntersect(a, b) === brute && filtersIntersect(b, a) === brute;
      }),
      { numRuns: 2000 },
    );
  });

  it("containment is reflexive and implies intersection", () => {
    fc.assert(fc.property(topicFilter, (f) => filterContains(f, f) && filtersIntersect(f, f)));
  });
});
