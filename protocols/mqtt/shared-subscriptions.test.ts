import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topicFilter, topicName } from "./codec.arbitraries";
import { isSharedFilter, matchingFilter, parseSharedFilter, pruneTurns, subscribersOf, type RoutedSubscription } from "./shared-subscriptions";
import { topicMatches } from "./topics";

describe("parseSharedFilter", () => {
  it.each([
    ["$share/g/a/#", { group: "g", filter: "a/#" }],
    ["$share/workers/devices/+/telemetry", { group: "workers", filter: "devices/+/telemetry" }],
    ["$share/g/#", { group: "g", filter: "#" }],
    ["$share/g//", { group: "g", filter: "/" }],
    ["$share/g/$SYS/x", { group: "g", filter: "$SYS/x" }],
  ])("parses %j", (f, parts) => {
    expect(isSharedFilter(f)).toBe(true);
    expect(parseSharedFilter(f)).toEqual(parts);
    expect(matchingFilter(f)).toBe(parts.filter);
  });
  // [MQTT-4.8.2-1] a ShareName of at least one character; [MQTT-4.8.2-2] no "/", "+" or "#"; then a valid filter
  it.each(["$share/", "$share/g", "$share/g/", "$share//a", "$share/+/a", "$share/#/a", "$share/a+b/x", "$share/a#/x", "$share/g/a#", "$share/g/#/a"])("refuses %j", (f) => {
    expect(isSharedFilter(f)).toBe(true);
    expect(parseSharedFilter(f)).toBeNull();
  });
  it.each(["$shared/g/a", "share/g/a", "a/$share/g/b", "#"])("%j is not shared", (f) => {
    expect(isSharedFilter(f)).toBe(false);
    expect(parseSharedFilter(f)).toBeNull();
    expect(matchingFilter(f)).toBe(f);
  });
  it("any ShareName without wildcards or slashes and any valid filter round-trip", () => {
    const name = fc.string({ minLength: 1, maxLength: 8 }).filter((g) => !/[/+#]/.test(g));
    fc.assert(fc.property(name, topicFilter, (group, filter) => {
      expect(parseSharedFilter(`$share/${group}/${filter}`)).toEqual({ group, filter });
    }));
  });
});

/** The sessions a message goes to, sorted. */
const names = (m: Map<string, readonly string[]>) => [...m.keys()].sort();

describe("subscribersOf", () => {
  const subs: RoutedSubscription[] = [
    { session: "a:b", filter: "$share/g/t/#" },
    { session: "a:a", filter: "$share/g/t/#" },
    { session: "a:c", filter: "$share/g/t/#" },
    { session: "a:x", filter: "t/+" },
    { session: "a:a", filter: "$share/h/t/1" },
    { session: "a:y", filter: "$share/h/t/1" },
  ];

  it("sends each message to one member of each matching group, in turn, and to every ordinary subscriber", () => {
    const turns = new Map<string, number>();
    const got = [1, 2, 3, 4].map(() => names(subscribersOf(subs, "t/1", turns)).sort());
    expect(got).toEqual([
      ["a:a", "a:x"], // g → a:a (members sorted), h → a:a: one copy for the session
      ["a:b", "a:x", "a:y"],
      ["a:a", "a:c", "a:x"],
      ["a:a", "a:x", "a:y"],
    ]);
  });

  it("names, per session, the shared subscriptions whose group chose it (none for an ordinary subscriber)", () => {
    const turns = new Map<string, number>();
    expect(subscribersOf(subs, "t/1", turns)).toEqual(new Map([["a:a", ["$share/g/t/#", "$share/h/t/1"]], ["a:x", []]]));
    expect(subscribersOf(subs, "t/1", turns)).toEqual(new Map([["a:b", ["$share/g/t/#"]], ["a:x", []], ["a:y", ["$share/h/t/1"]]]));
    // a:x subscribes both ways: the group's turn marks it, the ordinary subscription needs no mark
    const both: RoutedSubscription[] = [{ session: "a:x", filter: "t/+" }, { session: "a:x", filter: "$share/g/t/+" }, { session: "a:z", filter: "$share/g/t/+" }];
    expect(subscribersOf(both, "t/1", turns)).toEqual(new Map([["a:x", ["$share/g/t/+"]]]));
    expect(subscribersOf(both, "t/1", turns)).toEqual(new Map([["a:x", []], ["a:z", ["$share/g/t/+"]]]));
  });

  it("leaves out the excepted session and groups whose filter does not match", () => {
    const turns = new Map<string, number>();
    expect(names(subscribersOf(subs, "t/2", turns, { except: "a:a" })).sort()).toEqual(["a:b", "a:x"]);
    expect(names(subscribersOf(subs, "t/2", turns, { except: "a:a" })).sort()).toEqual(["a:c", "a:x"]);
    expect(names(subscribersOf(subs, "u", turns))).toEqual([]);
  });

  it("peeking names the member whose turn it is without taking the turn", () => {
    const turns = new Map<string, number>();
    const two = subs.filter((s) => s.filter === "$share/h/t/1");
    expect(names(subscribersOf(two, "t/1", turns, { peek: true }))).toEqual(["a:a"]);
    expect(names(subscribersOf(two, "t/1", turns))).toEqual(["a:a"]);
    expect(names(subscribersOf(two, "t/1", turns, { peek: true }))).toEqual(["a:y"]);
    expect(names(subscribersOf(two, "t/1", turns))).toEqual(["a:y"]);
    expect(names(subscribersOf(two, "t/1", turns))).toEqual(["a:a"]);
  });

  it("spreads a group's messages evenly and reaches every ordinary subscriber", () => {
    const sessions = fc.constantFrom("s1", "s2", "s3", "s4");
    const sub = fc.record({ session: sessions, filter: fc.oneof(topicFilter, topicFilter.map((f) => `$share/g/${f}`)) });
    fc.assert(fc.property(fc.uniqueArray(sub, { selector: (s) => `${s.session}\n${s.filter}`, maxLength: 8 }), topicName, (list, topic) => {
      const turns = new Map<string, number>();
      const counts = new Map<string, Map<string, number>>();
      const groups = new Map<string, string[]>();
      for (const s of list) if (isSharedFilter(s.filter) && parseSharedFilter(s.filter) && topicMatches(matchingFilter(s.filter), topic)) groups.set(s.filter, [...(groups.get(s.filter) ?? []), s.session]);
      const rounds = 12;
      for (let i = 0; i < rounds; i++) {
        const got = subscribersOf(list, topic, turns);
        for (const s of list) if (!isSharedFilter(s.filter) && topicMatches(s.filter, topic)) expect(got.has(s.session)).toBe(true);
        for (const [key, members] of groups) {
          const chosen = members.filter((m) => got.has(m));
          expect(chosen.length).toBeGreaterThan(0);
          const c = counts.get(key) ?? new Map<string, number>();
          counts.set(key, c);
          // exactly one member was chosen for the group this round (others may be there for other reasons)
          const pick = [...members].sort()[i % members.length]!;
          expect(got.has(pick)).toBe(true);
          // only the chosen member is marked with the group (the others' copies, if any, are their own)
          for (const m of members) expect(got.get(m)?.includes(key) ?? false).toBe(m === pick);
          c.set(pick, (c.get(pick) ?? 0) + 1);
        }
      }
      // 12 rounds over groups of 1 to 4 members: each member got its share exactly
      for (const [key, members] of groups) for (const m of members) expect(counts.get(key)?.get(m)).toBe(rounds / members.length);
    }));
  });

  it("forgets the turns of groups that are gone, and keeps the others'", () => {
    const turns = new Map<string, number>();
    subscribersOf(subs, "t/1", turns);
    subscribersOf(subs, "t/1", turns);
    expect([...turns.keys()].sort()).toEqual(["$share/g/t/#", "$share/h/t/1"]);
    pruneTurns(turns, subs.filter((s) => s.filter !== "$share/h/t/1"));
    expect([...turns]).toEqual([["$share/g/t/#", 2]]);
  });
});
