/**
 * Table tests of the grammar: the examples of the brief and of AWS IoT / EMQX style rules parse
 * and print canonically; invalid rules fail with the exact message position and token.
 */
import { describe, expect, it } from "vitest";
import { compileRule, parseRule, printRule, RULE_LIMITS, RuleSyntaxError } from "./index";

describe("valid rules print canonically", () => {
  const cases: Array<[string, string]> = [
    ["SELECT temperature, deviceId() AS id FROM telemetry WHERE temperature > 30", "SELECT temperature, deviceId() AS id FROM telemetry WHERE temperature > 30"],
    ["SELECT * FROM shadow.reported WHERE battery < 10", "SELECT * FROM shadow.reported WHERE battery < 10"],
    ["select temp from TELEMETRY where temp > 30 for 300s", "SELECT temp FROM telemetry WHERE temp > 30 FOR 5m"],
    ["SELECT temp FROM telemetry WHEN temp > 30 UNTIL temp < 28", "SELECT temp FROM telemetry WHEN temp > 30 UNTIL temp < 28"],
    ["SELECT count(*) over 60000ms AS n FROM telemetry WHERE door = 'open' HAVING n >= 3", "SELECT COUNT(*) OVER 1m AS n FROM telemetry WHERE door = 'open' HAVING n >= 3"],
    ["SELECT AVG(temp) OVER 10m AS avg FROM telemetry HAVING avg > 25 LIMIT 5 PER 1h", "SELECT AVG(temp) OVER 10m AS avg FROM telemetry HAVING avg > 25 LIMIT 5 PER 1h"],
    ["SELECT * FROM presence WHERE connected = false FOR 10m", "SELECT * FROM presence WHERE connected = FALSE FOR 10m"],
    ["SELECT id, status FROM command.result WHERE status IN ('failed', 'rejected')", "SELECT id, status FROM command.result WHERE status IN ('failed', 'rejected')"],
    ["SELECT * FROM shadow.desired WHERE fw IS NOT NULL", "SELECT * FROM shadow.desired WHERE fw IS NOT NULL"],
    // paths: dots, brackets with strings and indexes, quoted names, keywords after a dot
    ["SELECT a['x y'].b[0] AS v, \"select\".for FROM telemetry", "SELECT a['x y'].b[0] AS v, \"select\".for FROM telemetry"],
    ["SELECT a[\"b\"] FROM telemetry", "SELECT a.b FROM telemetry"],
    // operators: == and <> are read as = and !=; precedence keeps only the parentheses needed
    ["SELECT * FROM telemetry WHERE a == 1 AND (b <> 2 OR c % 3 = 0)", "SELECT * FROM telemetry WHERE a = 1 AND (b != 2 OR c % 3 = 0)"],
    ["SELECT * FROM telemetry WHERE ((a + b) * c) > (d - (e - f))", "SELECT * FROM telemetry WHERE (a + b) * c > d - (e - f)"],
    ["SELECT * FROM telemetry WHERE NOT NOT a = 1", "SELECT * FROM telemetry WHERE NOT NOT a = 1"],
    ["SELECT -5 AS a, -(5) AS b, - -x AS c, -x.y AS d, 1.5e+3 AS e FROM telemetry", "SELECT -5 AS a, -(5) AS b, - -x AS c, -x.y AS d, 1500 AS e FROM telemetry"],
    ["SELECT 'it''s' AS s FROM telemetry", "SELECT 'it''s' AS s FROM telemetry"],
    ["SELECT round(AVG(t) OVER 1h, 1) AS a, max(a, b, 3) AS m, MIN(t) OVER 1d AS lo FROM telemetry", "SELECT round(AVG(t) OVER 1h, 1) AS a, max(a, b, 3) AS m, MIN(t) OVER 1d AS lo FROM telemetry"],
    ["SELECT topic() AS t, timestamp() AS ts, ABS(x) AS x FROM telemetry", "SELECT topic() AS t, timestamp() AS ts, abs(x) AS x FROM telemetry"],
    ["SELECT a -- the value\nFROM telemetry -- where from\n", "SELECT a FROM telemetry"],
    ["SELECT * FROM telemetry WHERE x NOT IN (1, NULL) OR y IS NULL", "SELECT * FROM telemetry WHERE x NOT IN (1, NULL) OR y IS NULL"],
  ];
  it.each(cases)("%s", (sql, printed) => {
    expect(printRule(parseRule(sql))).toBe(printed);
    expect(parseRule(printed)).toEqual(parseRule(sql));
  });

  it("builds the documented tree", () => {
    expect(parseRule("SELECT COUNT(*) OVER 1m AS n FROM telemetry WHERE door = 'open' HAVING n >= 3 LIMIT 2 PER 30s")).toEqual({
      select: [{ kind: "expr", expr: { kind: "aggregate", fn: "COUNT", arg: null, window: 60_000 }, alias: "n" }],
      from: "telemetry",
      where: { kind: "binary", op: "=", left: { kind: "path", path: ["door"] }, right: { kind: "literal", value: "open" } },
      when: null,
      having: { kind: "binary", op: ">=", left: { kind: "path", path: ["n"] }, right: { kind: "literal", value: 3 } },
      for: null,
      limit: { count: 2, per: 30_000 },
    });
  });
});

describe("invalid rules: message, line, column, token", () => {
  const cases: Array<[string, string, number, number, string]> = [
    ["", "expected SELECT, found end of input", 1, 1, "end of input"],
    ["SELECT FROM telemetry", "expected an expression, found FROM", 1, 8, "FROM"],
    ["SELECT temp FROM telemetry WHERE temp >", "expected an expression, found end of input", 1, 40, "end of input"],
    ["SELECT temp FROM telemetr", "unknown source telemetr (sources: telemetry, shadow.reported, shadow.desired, presence, command.result)", 1, 18, "telemetr"],
    ["SELECT temp FROM shadow.delta", "unknown source shadow.delta (sources: telemetry, shadow.reported, shadow.desired, presence, command.result)", 1, 18, "shadow"],
    ["SELECT a\nFROM telemetry\nWHERE a > 1 FOR 8d", "FOR 8d is out of range (1ms to 7d)", 3, 17, "8d"],
    ["SELECT a FROM telemetry WHERE a > 1 FOR 0s", "FOR 0s is out of range (1ms to 7d)", 1, 41, "0s"],
    ["SELECT a FROM telemetry WHERE a > 1 FOR 5", "expected a duration after FOR (such as 500ms, 30s, 5m, 2h, 1d), found 5", 1, 41, "5"],
    ["SELECT a FROM telemetry WHERE a > 1 FOR 1.5h", "invalid number or duration 1.5h (durations are whole numbers with ms, s, m, h or d)", 1, 41, "1.5h"],
    ["SELECT a FROM telemetry WHERE a > 5m", "a duration such as 5m is only allowed after FOR, OVER or PER", 1, 35, "5m"],
    ["SELECT COUNT(*) OVER 2d AS n FROM telemetry", "OVER 2d is out of range (1ms to 1d)", 1, 22, "2d"],
    ["SELECT a FROM telemetry WHERE a < b < c", "comparisons do not chain; combine them with AND or use parentheses", 1, 37, "<"],
    ["SELECT a FROM telemetry WHERE a = 1 IS NULL", "comparisons do not chain; combine them with AND or use parentheses", 1, 37, "IS"],
    ["SELECT a FROM telemetry WHERE COUNT(*) OVER 1m > 1", "window aggregates are not allowed in WHERE (WHERE picks events; put conditions on windows in HAVING)", 1, 31, "COUNT"],
    ["SELECT AVG(MAX(t) OVER 1m) OVER 1m FROM telemetry", "window aggregates are not allowed inside AVG", 1, 12, "MAX"],
    ["SELECT MAX(MAX(t) OVER 1m) OVER 1m FROM telemetry", "window aggregates cannot be nested", 1, 8, "MAX"],
    ["SELECT AVG(t) AS a FROM telemetry", "AVG needs a window: AVG(x) OVER 5m", 1, 15, "AS"],
    ["SELECT COUNT(*) FROM telemetry", "COUNT needs a window: COUNT(*) OVER 5m", 1, 17, "FROM"],
    ["SELECT avg(*) OVER 1m FROM telemetry", "expected an expression, found *", 1, 12, "*"],
    ["SELECT foo(t) FROM telemetry", "unknown function foo (known: abs, round, min, max, deviceId, timestamp, topic, COUNT, SUM, AVG, MIN, MAX)", 1, 8, "foo"],
    ["SELECT abs(a, b) FROM telemetry", "abs() takes 1 argument, got 2", 1, 8, "abs"],
    ["SELECT round() FROM telemetry", "round() takes 1 or 2 arguments, got 0", 1, 8, "round"],
    ["SELECT deviceId(1) FROM telemetry", "deviceId() takes 0 arguments, got 1", 1, 8, "deviceId"],
    ["SELECT a FROM telemetry WHEN a > 1", "expected UNTIL, found end of input", 1, 35, "end of input"],
    ["SELECT a FROM telemetry WHEN a > 1 UNTIL a < 0 FOR 1m", "FOR cannot be combined with WHEN ... UNTIL", 1, 48, "FOR"],
    ["SELECT a FROM telemetry WHEN a > 1 UNTIL a < 0 HAVING a > 2", "HAVING cannot be combined with WHEN ... UNTIL (put the condition in WHEN)", 1, 48, "HAVING"],
    ["SELECT a FROM telemetry FOR 1m WHERE a > 1", "WHERE is out of place: clauses go in the order WHERE, WHEN ... UNTIL, HAVING, FOR, LIMIT ... PER", 1, 32, "WHERE"],
    ["SELECT a FROM telemetry LIMIT 0 PER 1m", "expected a whole number from 1 to 100 after LIMIT, found 0", 1, 31, "0"],
    ["SELECT a FROM telemetry LIMIT 101 PER 1m", "expected a whole number from 1 to 100 after LIMIT, found 101", 1, 31, "101"],
    ["SELECT a FROM telemetry LIMIT 5", "expected PER, found end of input", 1, 32, "end of input"],
    ["SELECT a FROM telemetry LIMIT 5 PER 2d", "PER 2d is out of range (1ms to 1d)", 1, 37, "2d"],
    ["SELECT a, b.a FROM telemetry", 'two SELECT items are named "a"; rename one with AS', 1, 11, "b"],
    ["SELECT *, * FROM telemetry", "* appears twice in SELECT", 1, 11, "*"],
    ["SELECT a AS select FROM telemetry", "expected a name after AS, found select", 1, 13, "select"],
    ["SELECT a FROM telemetry WHERE a = 'open", "unterminated string", 1, 35, "'open"],
    ["SELECT a FROM telemetry WHERE a = #", 'unexpected character "#"', 1, 35, "#"],
    ["SELECT a FROM telemetry\n  WHERE a = 1 ;", 'unexpected character ";"', 2, 15, ";"],
    ["SELECT a FROM telemetry WHERE a = 'two\nlines' AND b = 1 !", 'unexpected character "!"', 2, 18, "!"],
    ["SELECT a FROM telemetry WHERE a = 1e999", "number 1e999 is out of range", 1, 35, "1e999"],
    ["SELECT a[-1] FROM telemetry", "expected a string or a non-negative whole number in [ ], found -", 1, 10, "-"],
    ["SELECT a., b FROM telemetry", "expected a field name after ., found ,", 1, 10, ","],
    ["SELECT \"\" FROM telemetry", "a quoted name cannot be empty", 1, 8, '""'],
    ["SELECT a FROM telemetry WHERE (a > 1", "expected ), found end of input", 1, 37, "end of input"],
    ["SELECT a FROM telemetry WHERE a IN 1", "expected ( after IN, found 1", 1, 36, "1"],
    ["SELECT a FROM telemetry extra", "expected the end of the rule, found extra", 1, 25, "extra"],
    ["SELECT a FROM telemetry WHERE a = 1 AND", "expected an expression, found end of input", 1, 40, "end of input"],
  ];
  it.each(cases)("%j", (sql, message, line, column, token) => {
    const r = compileRule(sql);
    expect(r).toEqual({ ok: false, error: { message, line, column, token } });
    expect(() => parseRule(sql)).toThrow(RuleSyntaxError);
  });
});

describe("size limits stop hostile rules before the stack does", () => {
  it("rejects text over the length limit, pointing at the first character too many", () => {
    const sql = `SELECT a FROM telemetry WHERE a = '${"x".repeat(RULE_LIMITS.maxLength)}'`;
    expect(compileRule(sql)).toMatchObject({ ok: false, error: { message: "rule is too long (at most 4096 characters)", line: 1, column: 4097 } });
  });

  it("rejects deep nesting with an error, not a stack overflow", () => {
    for (const open of ["(", "- ", "NOT ", "abs("]) {
      const r = compileRule(`SELECT a FROM telemetry WHERE ${open.repeat(1000)}a`);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toBe("expression is nested too deeply (at most 32 levels)");
    }
  });

  it("rejects too many nodes, too many SELECT items and too many windows", () => {
    const big = compileRule(`SELECT a FROM telemetry WHERE ${Array.from({ length: 200 }, (_, i) => `a${i}`).join(" + ")} > 1`);
    expect(big).toMatchObject({ ok: false, error: { message: "rule is too large (at most 256 expression nodes)" } });
    const many = `SELECT ${Array.from({ length: 33 }, (_, i) => `a${i}`).join(", ")} FROM telemetry`;
    const items = compileRule(many);
    expect(items).toEqual({ ok: false, error: { message: "too many SELECT items (at most 32)", line: 1, column: many.indexOf("a32") + 1, token: "a32" } });
    const windows = compileRule(`SELECT ${Array.from({ length: 9 }, (_, i) => `COUNT(*) OVER ${i + 1}s AS n${i}`).join(", ")} FROM telemetry`);
    expect(windows).toMatchObject({ ok: false, error: { message: "too many window aggregates (at most 8)", token: "COUNT" } });
  });

  it("accepts a rule at the limits", () => {
    const items = Array.from({ length: 8 }, (_, i) => `COUNT(*) OVER ${i + 1}s AS n${i}`);
    expect(compileRule(`SELECT ${items.join(", ")} FROM telemetry WHERE a > 1`).ok).toBe(true);
    expect(compileRule(`SELECT a FROM telemetry WHERE ${"(".repeat(30)}a${")".repeat(30)} > 1 FOR 7d LIMIT 100 PER 1d`).ok).toBe(true);
  });
});
