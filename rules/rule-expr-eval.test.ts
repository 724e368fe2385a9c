/**
 * Table tests of expressions as a plain (fire-on-every-match) rule sees them: SQL three-valued
 * logic with missing fields, no coercion, arithmetic without values, the functions, paths and
 * the SELECT projection.
 */
import { describe, expect, it } from "vitest";
import { compile, ev, run } from "./rule-test-helpers.test-support";
import type { JsonObject } from "../protocols/json-value";

/** Whether `cond` (as a WHERE) fires for `data`. */
const fires = (cond: string, data: JsonObject): boolean => run(`SELECT * FROM telemetry WHERE ${cond}`, [ev(1000, data)]).firings.length === 1;
/** The projection of `items` for `data` (always fires). */
const out = (items: string, data: JsonObject, extra = {}): JsonObject => run(`SELECT ${items} FROM telemetry`, [ev(1000, data, extra)], { deviceId: "dev-7" }).firings[0].output;

describe("conditions: three-valued logic", () => {
  const cases: Array<[string, JsonObject, boolean]> = [
    ["temp > 30", { temp: 31 }, true],
    ["temp > 30", { temp: 30 }, false],
    ["temp > 30", {}, false], // unknown
    ["NOT (temp > 30)", {}, false], // NOT unknown is unknown, not true
    ["NOT (temp > 30)", { temp: 20 }, true],
    ["temp > 30 OR hum = 2", { hum: 2 }, true], // unknown OR true
    ["temp > 30 AND hum = 2", { hum: 2 }, false], // unknown AND true
    ["NOT (temp > 30 AND hum = 2)", { hum: 3 }, true], // unknown AND false = false
    ["temp IS NULL", {}, true],
    ["temp IS NULL", { temp: null }, true],
    ["temp IS NOT NULL", { temp: 0 }, true],
    ["temp = NULL", { temp: null }, false], // use IS NULL
    ["s = 5", { s: "5" }, false], // no coercion
    ["s != 5", { s: "5" }, true],
    ["s < 5", { s: "4" }, false], // ordering across types is unknown
    ["s < 'b'", { s: "a" }, true],
    ["flag", { flag: true }, true],
    ["flag", { flag: 1 }, false], // only the boolean true is true
    ["flag = TRUE", { flag: true }, true],
    ["v = 'x'", { v: ["x"] }, false],
    ["v.a = 1", { v: { a: 1 } }, true],
    ["door IN ('open', 'ajar')", { door: "ajar" }, true],
    ["door NOT IN ('open', 'ajar')", { door: "shut" }, true],
    ["door NOT IN ('open', NULL)", { door: "shut" }, false], // SQL: unknown
    ["door IN ('open', NULL)", { door: "open" }, true],
    ["door IN (1)", {}, false],
    ["a.b[1] = 20", { a: { b: [10, 20] } }, true],
    ["a['x y'] = 1", { a: { "x y": 1 } }, true],
    ["\"x y\" = 1", { "x y": 1 }, true],
    ["a[0] = 1", { a: { "0": 1 } }, false], // an index reads arrays only
    ["constructor IS NULL", {}, true], // never reaches the prototype
    ["toString IS NULL", {}, true],
    ["deviceId() = 'd1'", {}, true],
  ];
  it.each(cases)("%s with %j → %s", (cond, data, expected) => {
    expect(fires(cond, data)).toBe(expected);
  });
});

describe("values", () => {
  it("arithmetic on numbers; anything else has no value and leaves its key out", () => {
    expect(out("a + b AS s, a - b AS d, a * b AS p, a / b AS q, a % b AS r, -a AS n", { a: 7, b: 2 })).toEqual({ s: 9, d: 5, p: 14, q: 3.5, r: 1, n: -7 });
    expect(out("a / 0 AS q, a % 0 AS r, a + s AS t, a + z AS u, -s AS n", { a: 7, s: "x" })).toEqual({});
    expect(out("a * a AS big", { a: 1e200 })).toEqual({});
  });

  it("functions", () => {
    expect(out("abs(a) AS a, round(b) AS b, round(c) AS c, round(d, 2) AS d, round(e) AS e", { a: -3, b: 2.5, c: -2.5, d: 1.2345, e: -0.2 })).toEqual({ a: 3, b: 3, c: -3, d: 1.23, e: 0 });
    expect(out("round(a, 16) AS x, round(a, 1.5) AS y, round(s) AS z, abs(s) AS w", { a: 1, s: "1" })).toEqual({});
    expect(out("min(a, b, 5) AS lo, max(a, b, 5) AS hi, min(z, a) AS one, max(z) AS none, min(a, s) AS bad", { a: 3, b: 9, s: "x" })).toEqual({ lo: 3, hi: 9, one: 3 });
    expect(out("deviceId() AS id, topic() AS t, timestamp() AS ts", {}, { topic: "devices/dev-7/telemetry", ts: 123 })).toEqual({ id: "dev-7", t: "devices/dev-7/telemetry", ts: 123 });
    expect(out("topic() AS t, timestamp() AS ts", {})).toEqual({ ts: 1000 }); // no topic; ts defaults to now
  });

  it("projection: names, *, overrides, nulls kept, missing left out", () => {
    expect(out("temperature, a.b, a.c[0], abs(x)", { temperature: 31, a: { b: 1, c: [5] }, x: -2 })).toEqual({ temperature: 31, b: 1, "a.c[0]": 5, "abs(x)": 2 });
    expect(out("*, temp * 2 AS temp, 'on' AS mode", { temp: 10, hum: 50 })).toEqual({ temp: 20, hum: 50, mode: "on" });
    expect(out("a, b, NULL AS c", { a: null })).toEqual({ a: null, c: null });
    expect(out("COUNT(*) OVER 1m, AVG(t) OVER 1m AS avg", { t: 4 })).toEqual({ "COUNT(*) OVER 1m": 1, avg: 4 });
  });

  it("a __proto__ key in the data is an ordinary field, copied as one", () => {
    const data = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') as JsonObject;
    const o = out("*, \"__proto__\".polluted AS p", data);
    expect(Object.prototype.hasOwnProperty.call(o, "__proto__")).toBe(true);
    expect(o.p).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("aliases are visible in HAVING, WHEN and UNTIL only, and shadow fields there", () => {
    expect(run("SELECT temp * 10 AS temp FROM telemetry HAVING temp > 100", [ev(0, { temp: 11 })]).firings.map((f) => f.output)).toEqual([{ temp: 110 }]);
    expect(run("SELECT temp * 10 AS temp FROM telemetry WHERE temp > 100", [ev(0, { temp: 11 })]).firings).toEqual([]);
    expect(run("SELECT temp * 10 AS t FROM telemetry WHEN t > 100 UNTIL t < 50", [ev(0, { temp: 11 })]).firings).toHaveLength(1);
  });

  it("only events of the rule's source count, and data that is not an object reads as {}", () => {
    expect(run("SELECT * FROM telemetry", [ev(0, { a: 1 }, { source: "presence" })]).firings).toEqual([]);
    const rule = compile("SELECT a IS NULL AS missing FROM telemetry");
    expect(run(rule, [ev(0, 42 as unknown as JsonObject)]).firings.map((f) => f.output)).toEqual([{ missing: true }]);
  });
});
