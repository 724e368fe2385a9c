/**
 * The examples of rules/README.md, run as written, so the document stays true.
 */
import { describe, expect, it } from "vitest";
import { compileRule, evaluate, tick } from "./index";
import { ev, run, tk } from "./rule-test-helpers.test-support";

describe("rules/README.md", () => {
  it("the opening example", () => {
    const compiled = compileRule("SELECT temp, deviceId() AS id FROM telemetry WHERE temp > 30 FOR 5m");
    if (!compiled.ok) throw new Error(compiled.error.message);
    const rule = compiled.rule;
    let r = evaluate(rule, null, { source: "telemetry", data: { temp: 31 } }, { deviceId: "d1", now: 0 });
    expect(r.firings).toEqual([]);
    expect(r.wakeAt).toBe(300_000);
    r = tick(rule, r.state, { deviceId: "d1", now: 300_000 });
    expect(r.firings).toEqual([{ output: { temp: 31, id: "d1" }, at: 300_000 }]);
  });

  it("the dead-man switch fires after 3 minutes of silence", () => {
    const r = run("SELECT COUNT(*) OVER 1m AS n FROM telemetry HAVING n = 0 FOR 2m", [ev(0, {}), tk(10 * 60_000)]);
    expect(r.firings).toEqual([{ output: { n: 0 }, at: 180_000 }]);
  });

  it("round's examples", () => {
    const r = run("SELECT round(a, 2) AS a, round(b, 2) AS b, round(c) AS c FROM telemetry", [ev(0, { a: 1.005, b: 2.675, c: -0.5 })]);
    expect(r.firings[0]?.output).toEqual({ a: 1.01, b: 2.68, c: -1 });
  });

  it("the quoted error", () => {
    expect(compileRule("SELECT a\nFROM telemetry\nWHERE a > 1 FOR 8d")).toEqual({ ok: false, error: { message: "FOR 8d is out of range (1ms to 7d)", line: 3, column: 17, token: "8d" } });
  });
});
