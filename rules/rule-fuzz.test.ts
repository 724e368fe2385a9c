/**
 * Robustness: arbitrary and mutated rule text fails only with RuleSyntaxError (at a position
 * inside the text); arbitrary rules and events never make the evaluator throw; and a rule's
 * firings do not depend on when ticks come — at every wakeAt, never, or at random extra times —
 * nor on a JSON round trip of the state, nor on state left by another rule.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileAst, compileRule, evaluate, parseRule, printRule, RuleSyntaxError, tick } from "./index";
import type { CompiledRule, Firing } from "./index";
import { ruleArb } from "./rule-arbitraries.test-support";
import type { JsonObject } from "../protocols/json-value";

/** Checks the only-typed-errors contract for one text. */
function checkText(text: string): void {
  let ast;
  try {
    ast = parseRule(text);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleSyntaxError);
    const e = err as RuleSyntaxError;
    const lines = text.split("\n");
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines.length);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeLessThanOrEqual(Math.min(lines[e.line - 1].length, 4096) + 1);
    expect(compileRule(text)).toEqual({ ok: false, error: e.toJSON() });
    return;
  }
  expect(parseRule(printRule(ast))).toEqual(ast); // any accepted text has a stable canonical form
  expect(compileRule(text).ok).toBe(true);
}

const TOKENS = ["SELECT", "FROM", "WHERE", "WHEN", "UNTIL", "HAVING", "FOR", "LIMIT", "PER", "OVER", "AS", "NOT", "IN", "IS", "NULL", "(", ")", ",", ".", "[", "]", "'", '"', "*", "-", "--", "5m", "0", "1e999", "COUNT(*)", "\n", " "];
const mutationArb = fc.tuple(ruleArb.map(printRule), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 }))), { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
  let t = text;
  for (const [pos, kind, piece] of edits) {
    const i = t.length ? pos % (t.length + 1) : 0;
    if (kind === 0) t = t.slice(0, i) + t.slice(i + 1); // delete one char
    else if (kind === 1) t = t.slice(0, i) + piece + t.slice(i); // insert
    else if (kind === 2) t = t.slice(0, i) + piece + t.slice(i + piece.length); // overwrite
    else t = t.slice(0, i); // truncate
  }
  return t;
});

describe("rule text: only typed errors, at positions inside the text", () => {
  it("for arbitrary strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: "binary" }), checkText), { numRuns: 3000 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS, "temp", "telemetry", ">", "30", "AND"), { maxLength: 30 }).map((ts) => ts.join(" ")), checkText), { numRuns: 3000 });
  });

  it("for mutations of valid rules", () => {
    fc.assert(fc.property(mutationArb, checkText), { numRuns: 3000 });
  });
});

// ---- evaluation: rules that actually fire, with windows, FOR, hysteresis and LIMIT ----

const condX = fc.constantFrom("x > 2", "x < 0", "x = 1", "x IS NULL", "NOT (x > 2)", "x > 2 OR y = 'on'", "x IN (1, 2, NULL)");
const condN = fc.constantFrom("n >= 3", "n = 0", "n < 2", "a > 1", "a < 0 OR n > 4", "a IS NULL", "NOT (n >= 2)");
const dur = fc.constantFrom("1ms", "7ms", "250ms", "1s", "3s", "10s");
const meaningfulArb = fc
  .record({ w1: dur, w2: dur, c1: condX, n1: condN, n2: condN, d: dur, kind: fc.nat(5), limit: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), dur)) })
  .map(({ w1, w2, c1, n1, n2, d, kind, limit }) => {
    const head = `SELECT x, COUNT(*) OVER ${w1} AS n, AVG(x) OVER ${w2} AS a, timestamp() AS ts FROM telemetry`;
    const body = [`WHERE ${c1}`, `WHERE ${c1} FOR ${d}`, `WHERE y != 'skip' HAVING ${n1}`, `WHERE y != 'skip' HAVING ${n1} FOR ${d}`, `WHERE y != 'skip' WHEN ${n1} UNTIL ${n2}`, `WHEN ${c1} UNTIL ${n2}`][kind];
    return `${head} ${body}${limit ? ` LIMIT ${limit[0]} PER ${limit[1]}` : ""}`;
  });
const dataArb: fc.Arbitrary<JsonObject> = fc
  .record(
    { x: fc.oneof(fc.integer({ min: -3, max: 5 }), fc.constant(null), fc.constant("2"), fc.double({ noNaN: true, noDefaultInfinity: true })), y: fc.constantFrom("on", "off", "skip"), z: fc.jsonValue({ maxDepth: 2 }) },
    { requiredKeys: [] },
  )
  .map((o) => o as JsonObject);
type Op = { gap: number; data: JsonObject; source: string; extraTicks: number[] };
const opsArb = fc.array(
  fc.record({ gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4000 })), data: dataArb, source: fc.constantFrom("telemetry", "telemetry", "presence"), extraTicks: fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 2 }) }),
  { maxLength: 40 },
);

type Schedule = "alarms" | "none" | "random";
/** Runs events with ticks per `schedule`; returns the firings and the final state. */
function drive(rule: CompiledRule, ops: Op[], schedule: Schedule, viaJson: boolean, start: unknown = null) {
  let state: unknown = start;
  let wake: number | null = null;
  const firings: Firing[] = [];
  const ctx = (now: number) => ({ deviceId: "d", now });
  const keep = (r: ReturnType<typeof tick>) => {
    // an alarm set at or before now would come straight back: wakeAt is always in the future
    expect(r.wakeAt === null || r.wakeAt > (r.state.now ?? -Infinity)).toBe(true);
    firings.push(...r.firings);
    wake = r.wakeAt;
    state = viaJson ? JSON.parse(JSON.stringify(r.state)) : r.state;
  };
  let t = 0;
  for (const op of ops) {
    const next = t + op.gap;
    if (schedule === "alarms") while (wake !== null && wake <= next) keep(tick(rule, state, ctx(wake)));
    if (schedule === "random") for (const x of op.extraTicks) keep(tick(rule, state, ctx(t + Math.min(x, op.gap))));
    t = next;
    keep(evaluate(rule, state, { source: op.source, data: op.data, topic: "devices/d/telemetry" }, ctx(t)));
  }
  keep(tick(rule, state, ctx(t + 60_000)));
  // compared as JSON, what actions receive: a round trip turns a -0 read from data into 0
  return { firings: JSON.stringify(firings), state: JSON.stringify(state) };
}

describe("evaluation", () => {
  it("firings do not depend on the tick schedule or on JSON round trips", () => {
    fc.assert(
      fc.property(meaningfulArb, opsArb, (sql, ops) => {
        const r = compileRule(sql);
        if (!r.ok) throw new Error(`${sql}: ${r.error.message}`);
        const base = drive(r.rule, ops, "alarms", false);
        for (const [schedule, viaJson] of [["alarms", true], ["none", false], ["random", true]] as const) {
          const other = drive(r.rule, ops, schedule, viaJson);
          expect(other.firings).toEqual(base.firings);
          expect(other.state).toEqual(base.state);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("arbitrary rules and events never throw, and another rule's state is replaced, not used", () => {
    fc.assert(
      fc.property(ruleArb, ruleArb, opsArb, (a, b, ops) => {
        const ra = compileAst(a);
        const rb = compileAst(b);
        const sa = drive(ra, ops, "random", true);
        const sb = drive(rb, ops, "random", true, JSON.parse(sa.state));
        if (rb.fingerprint !== ra.fingerprint) expect(sb).toEqual(drive(rb, ops, "random", true));
      }),
      { numRuns: 300 },
    );
  });
});
