/**
 * The evaluator against small independent models, each written from the README's definition and
 * sharing no code with the implementation: WHERE with three-valued logic, FOR, hysteresis,
 * COUNT/AVG windows and LIMIT. Every model run also passes the state through JSON at every step.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RULE_LIMITS } from "./index";
import { ev, run, tk, type Step } from "./rule-test-helpers.test-support";
import type { JsonObject } from "../protocols/json-value";

// ---- scenarios: events at non-decreasing times, x an integer, missing, a string or null ----

type Ev = { t: number; x: number | string | null | undefined; tag: "a" | "b" };
const xArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -5, max: 5 }) }, fc.constant(undefined), fc.constant(null), fc.constant("3"));
const scenarioArb = (maxGap: number) =>
  fc.array(fc.record({ gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxGap })), x: xArb, tag: fc.constantFrom("a" as const, "b" as const) }), { maxLength: 60 }).map((xs) => {
    let t = T0;
    return xs.map(({ gap, x, tag }): Ev => ({ t: (t += gap), x, tag }));
  });
const dataOf = (e: Ev): JsonObject => {
  const d: JsonObject = { tag: e.tag };
  if (e.x !== undefined) d.x = e.x;
  return d;
};
const T0 = 1_700_000_000_000;
/** The events, then a tick `horizon` ms after the last one (so there is always a final state). */
const steps = (evs: Ev[], horizon = 0): Step[] => [...evs.map((e) => ev(e.t, dataOf(e))), tk((evs.length ? evs[evs.length - 1].t : T0) + horizon)];

/** Runs with and without JSON between steps; both must agree (and are returned once). */
function both(sql: string, script: Step[]) {
  const mem = run(sql, script);
  const json = run(sql, script, { viaJson: true });
  expect(json.firings).toEqual(mem.firings);
  expect(json.state).toEqual(JSON.parse(JSON.stringify(mem.state)));
  return mem;
}

// ---- a model of SQL three-valued logic over x ----

type Cond = { op: ">" | "<" | "="; c: number } | { op: "AND" | "OR"; l: Cond; r: Cond } | { op: "NOT"; a: Cond } | { op: "NULL" };
const condArb: fc.Arbitrary<Cond> = fc.letrec<{ c: Cond }>((tie) => ({
  c: fc.oneof(
    { maxDepth: 3 },
    fc.record({ op: fc.constantFrom(">" as const, "<" as const, "=" as const), c: fc.integer({ min: -5, max: 5 }) }),
    fc.constant({ op: "NULL" as const }),
    fc.record({ op: fc.constantFrom("AND" as const, "OR" as const), l: tie("c"), r: tie("c") }),
    fc.record({ op: fc.constant("NOT" as const), a: tie("c") }),
  ),
})).c;
/** Fully parenthesized SQL (independent of the printer). */
function sqlOf(c: Cond): string {
  switch (c.op) {
    case "NULL":
      return "(x IS NULL)";
    case "NOT":
      return `(NOT ${sqlOf(c.a)})`;
    case "AND":
    case "OR":
      return `(${sqlOf(c.l)} ${c.op} ${sqlOf(c.r)})`;
    default:
      return `(x ${c.op} ${c.c})`;
  }
}
/** true / false / undefined (unknown). */
function model(c: Cond, x: Ev["x"]): boolean | undefined {
  switch (c.op) {
    case "NULL":
      return x === null || x === undefined;
    case "NOT": {
      const a = model(c.a, x);
      return a === undefined ? undefined : !a;
    }
    case "AND": {
      const [l, r] = [model(c.l, x), model(c.r, x)];
      return l === false || r === false ? false : l === undefined || r === undefined ? undefined : true;
    }
    case "OR": {
      const [l, r] = [model(c.l, x), model(c.r, x)];
      return l === true || r === true ? true : l === undefined || r === undefined ? undefined : false;
    }
    default:
      if (x === null || x === undefined) return undefined;
      if (c.op === "=") return x === c.c; // "3" = 3 is false: no coercion
      if (typeof x !== "number") return undefined;
      return c.op === ">" ? x > c.c : x < c.c;
  }
}
const out = (e: Ev): JsonObject => (e.x === undefined ? {} : { x: e.x });

describe("the evaluator agrees with independent models", () => {
  it("WHERE: fires exactly on the events where the condition is true", () => {
    fc.assert(
      fc.property(condArb, scenarioArb(5000), (cond, evs) => {
        const r = both(`SELECT x FROM telemetry WHERE ${sqlOf(cond)}`, steps(evs));
        expect(r.firings).toEqual(evs.filter((e) => model(cond, e.x) === true).map((e) => ({ output: out(e), at: e.t })));
      }),
      { numRuns: 300 },
    );
  });

  it("FOR: once per run of true, at since + D, unless a false event came first", () => {
    // with HAVING, WHERE only picks events (tag = 'a'); without, WHERE is the condition itself
    fc.assert(
      fc.property(condArb, fc.integer({ min: 1, max: 20_000 }), fc.boolean(), scenarioArb(8000), (cond, D, having, all) => {
        const sql = having ? `SELECT x FROM telemetry WHERE tag = 'a' HAVING ${sqlOf(cond)} FOR ${D}ms` : `SELECT x FROM telemetry WHERE ${sqlOf(cond)} FOR ${D}ms`;
        const r = both(sql, steps(all, 3 * D));
        const evs = having ? all.filter((e) => e.tag === "a") : all;
        const horizon = (all.length ? all[all.length - 1].t : T0) + 3 * D;
        const expected: Array<{ output: JsonObject; at: number }> = [];
        let since: number | null = null;
        let fired = false;
        let last: Ev | null = null;
        const deadline = (upTo: number) => {
          if (since !== null && !fired && since + D <= upTo) {
            expected.push({ output: last ? out(last) : {}, at: since + D });
            fired = true;
          }
        };
        for (const e of evs) {
          deadline(e.t); // the deadline comes before an event at the same instant
          const c = model(cond, e.x);
          if (c === undefined) continue;
          last = e;
          if (!c) [since, fired] = [null, false];
          else since ??= e.t;
        }
        deadline(horizon);
        expect(r.firings).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("WHEN ... UNTIL: fires on arming edges only; two firings always have an UNTIL between them", () => {
    fc.assert(
      fc.property(condArb, condArb, scenarioArb(1000), (when, until, evs) => {
        const r = both(`SELECT x FROM telemetry WHEN ${sqlOf(when)} UNTIL ${sqlOf(until)}`, steps(evs));
        const expected: Array<{ output: JsonObject; at: number }> = [];
        let armed = true;
        for (const e of evs) {
          if (armed && model(when, e.x) === true) {
            armed = false;
            expected.push({ output: out(e), at: e.t });
          } else if (!armed && model(until, e.x) === true) armed = true;
        }
        expect(r.firings).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("WHEN x > 3 UNTIL x < -3: noise between the thresholds never fires twice", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 20 }), { maxLength: 80 }), (xs) => {
        const r = both("SELECT x FROM telemetry WHEN x > 3 UNTIL x < -3", xs.map((x, i) => ev(i * 1000, { x })));
        expect(r.firings.length).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("COUNT(*), COUNT(x), AVG(x) over a window equal a brute-force count of the events", () => {
    const windowArb = fc.oneof(fc.constantFrom(1, 7, 119, 120, 121, 1000, 60_000, 86_400_000), fc.integer({ min: 1, max: 200_000 }));
    fc.assert(
      fc.property(windowArb, scenarioArb(3000), (W, evs) => {
        const sql = `SELECT COUNT(*) OVER ${W}ms AS n, COUNT(x) OVER ${W}ms AS nx, AVG(x) OVER ${W}ms AS avg FROM telemetry WHERE tag = 'a'`;
        const r = both(sql, steps(evs));
        // the README's definition: span from 60 to 120 dividing W, else g = ceil(W / 120)
        const divisor = W <= 120 ? W : [...Array(61).keys()].map((i) => 120 - i).find((d) => W % d === 0);
        const g = divisor !== undefined ? W / divisor : Math.ceil(W / RULE_LIMITS.windowBuckets);
        const span = divisor ?? Math.floor(W / g);
        expect(span * g).toBeLessThanOrEqual(W);
        const accepted = evs.filter((e) => e.tag === "a");
        const expected = accepted.map((e, i) => {
          const inWindow = accepted.slice(0, i + 1).filter((s) => Math.floor(s.t / g) > Math.floor(e.t / g) - span);
          const nums = inWindow.map((s) => s.x).filter((x): x is number => typeof x === "number");
          const o: JsonObject = { n: inWindow.length, nx: inWindow.filter((s) => s.x !== undefined && s.x !== null).length };
          if (nums.length) o.avg = nums.reduce((a, b) => a + b, 0) / nums.length;
          return { output: o, at: e.t };
        });
        expect(r.firings).toEqual(expected);
        for (const w of r.state.windows) expect(w.n.length).toBeLessThanOrEqual(span);
      }),
      { numRuns: 300 },
    );
  });

  it("LIMIT n PER d: a firing passes when fewer than n passed in (t - d, t]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 10_000 }), scenarioArb(3000), (n, d, evs) => {
        const r = both(`SELECT x FROM telemetry WHERE tag = 'a' LIMIT ${n} PER ${d}ms`, steps(evs));
        const passed: number[] = [];
        let dropped = 0;
        for (const e of evs.filter((x) => x.tag === "a")) {
          if (passed.filter((p) => p > e.t - d).length < n) passed.push(e.t);
          else dropped++;
        }
        expect(r.firings.map((f) => f.at)).toEqual(passed);
        expect(r.suppressed).toBe(dropped);
        expect(r.state.suppressed).toBe(dropped);
      }),
      { numRuns: 300 },
    );
  });
});
