/**
 * Table tests of the stateful clauses: FOR (driven by ticks at wakeAt), WHEN ... UNTIL, windows
 * with their bucket resolution, LIMIT n PER d, and the state's lifecycle (JSON, foreign or
 * damaged state, a clock that steps back, inputs never mutated).
 */
import { describe, expect, it } from "vitest";
import { evaluate, initialState, tick } from "./index";
import { compile, ev, run, tk } from "./rule-test-helpers.test-support";

const M = 60_000;
const at = (r: { firings: Array<{ at: number }> }) => r.firings.map((f) => f.at);

describe("FOR", () => {
  const sql = "SELECT temp FROM telemetry WHERE temp > 30 FOR 5m";

  it("fires from the tick at the deadline, once, with the latest deciding event", () => {
    const r = run(sql, [ev(0, { temp: 31 }), ev(M, { temp: 32 }), tk(5 * M - 1), tk(5 * M), ev(6 * M, { temp: 33 }), tk(20 * M)]);
    expect(r.results.map((x) => x.wakeAt)).toEqual([5 * M, 5 * M, 5 * M, null, null, null]);
    expect(r.firings).toEqual([{ output: { temp: 32 }, at: 5 * M }]);
  });

  it("a false event ends the run; the next true event starts a new one", () => {
    const r = run(sql, [ev(0, { temp: 31 }), ev(4 * M, { temp: 29 }), ev(5 * M, { temp: 31 }), tk(9 * M), tk(10 * M), ev(11 * M, { temp: 20 }), ev(12 * M, { temp: 40 }), tk(17 * M)]);
    expect(at(r)).toEqual([10 * M, 17 * M]);
  });

  it("an event without the field neither ends nor confirms the run", () => {
    const r = run(sql, [ev(0, { temp: 31 }), ev(M, { battery: 80 }), tk(5 * M)]);
    expect(r.firings).toEqual([{ output: { temp: 31 }, at: 5 * M }]);
  });

  it("a late tick, or an event after the deadline, fires at the deadline", () => {
    expect(at(run(sql, [ev(0, { temp: 31 }), tk(60 * M)]))).toEqual([5 * M]);
    const r = run(sql, [ev(0, { temp: 31 }), ev(7 * M, { temp: 10 })]);
    expect(r.firings).toEqual([{ output: { temp: 31 }, at: 5 * M }]);
    expect(r.last.wakeAt).toBeNull();
  });

  it("presence: offline for 10 minutes", () => {
    const rule = "SELECT deviceId() AS id FROM presence WHERE connected = FALSE FOR 10m";
    const p = (t: number, connected: boolean) => ev(t, { connected }, { source: "presence" });
    expect(at(run(rule, [p(0, false), p(3 * M, true), p(4 * M, false), tk(14 * M)]))).toEqual([14 * M]);
  });

  it("keeps only the fields the rule reads in its state", () => {
    const r = run(sql, [ev(0, { temp: 31, blob: "x".repeat(1000) })]);
    expect(r.state.last).toEqual({ data: { temp: 31 }, topic: null, ts: 0 });
  });

  it("a condition that becomes unknown neither ends the run nor stalls its deadline", () => {
    // the AVG window (100 buckets of 10 ms) empties at 1 s: a has no value, a > 1 is unknown; the run still fires at 5 s
    const r = run("SELECT AVG(x) OVER 1s AS a FROM telemetry HAVING a > 1 FOR 5s", [ev(0, { x: 2 }), tk(1000), tk(5000)]);
    expect(r.results.map((x) => x.wakeAt)).toEqual([1000, 5000, null]);
    expect(r.firings).toEqual([{ output: {}, at: 5000 }]);
  });

  it("on a window condition: a dead-man switch, re-read as buckets expire", () => {
    // 1m window → 500 ms buckets; the event at 0 leaves the window at 60 s exactly
    const rule = "SELECT COUNT(*) OVER 1m AS n FROM telemetry HAVING n = 0 FOR 2m";
    const r = run(rule, [ev(0, {}), tk(1)]);
    expect(r.last.wakeAt).toBe(M);
    const fired = run(rule, [ev(0, {}), tk(M), tk(3 * M)]);
    expect(fired.firings).toEqual([{ output: { n: 0 }, at: 3 * M }]);
    // silent from 1m to 4m (fires at 3m); the event at 4m leaves at 5m (fires at 7m)
    expect(at(run(rule, [ev(0, {}), ev(4 * M, {}), tk(10 * M)]))).toEqual([3 * M, 7 * M]);
    // an event at 2m breaks the silence before it lasted 2m
    expect(at(run(rule, [ev(0, {}), ev(2 * M, {}), tk(10 * M)]))).toEqual([5 * M]);
  });
});

describe("WHEN ... UNTIL (hysteresis)", () => {
  it("fires on entering, re-arms only after UNTIL, and never on the re-arming event", () => {
    const temps = [25, 31, 29, 31, 30.5, 28.5, 31, 27, 31, 32, 27.9, 28];
    const r = run("SELECT temp FROM telemetry WHEN temp > 30 UNTIL temp < 28", temps.map((temp, i) => ev(i * 1000, { temp })));
    expect(r.firings.map((f) => f.output.temp)).toEqual([31, 31]);
    expect(r.state.armed).toBe(true);
  });

  it("on a window: once per burst, re-armed by expiry alone", () => {
    const rule = "SELECT COUNT(*) OVER 1m AS n FROM telemetry WHERE door = 'open' WHEN n >= 3 UNTIL n < 3";
    const open = (t: number) => ev(t, { door: "open" });
    const r = run(rule, [open(0), open(1000), open(2000), open(3000), ev(4000, { door: "shut" }), tk(61_000), open(70_000), open(71_000), open(72_000)]);
    expect(at(r)).toEqual([2000, 72_000]);
  });
});

describe("windows", () => {
  it("COUNT(*) OVER 1m ... HAVING n >= 3 counts matching events in the last minute", () => {
    const rule = "SELECT COUNT(*) OVER 1m AS n FROM telemetry WHERE door = 'open' HAVING n >= 3";
    const r = run(rule, [ev(0, { door: "open" }), ev(10_000, { door: "shut" }), ev(20_000, { door: "open" }), ev(59_000, { door: "open" }), ev(60_000, { door: "open" }), ev(200_000, { door: "open" })]);
    expect(r.firings).toEqual([{ output: { n: 3 }, at: 59_000 }, { output: { n: 3 }, at: 60_000 }]);
    expect(r.last.wakeAt).toBeNull(); // a plain rule fires on events only: no alarm needed
  });

  it("WHERE picks what a window counts, with or without HAVING", () => {
    const doors = ["open", "shut", "open", "shut", "open"].map((door, i) => ev(i * 1000, { door }));
    expect(run("SELECT COUNT(*) OVER 1m AS n FROM telemetry WHERE door = 'open'", doors).firings.map((f) => f.output.n)).toEqual([1, 2, 3]);
    // a FOR rule without HAVING: WHERE is the condition, and a false event ends the run but is not counted
    const r = run("SELECT COUNT(*) OVER 1m AS n FROM telemetry WHERE door = 'open' FOR 3s", [...doors, tk(10_000)]);
    expect(r.firings).toEqual([{ output: { n: 3 }, at: 7000 }]); // the window at the deadline holds the three opens
  });

  it("AVG, SUM, MIN, MAX and COUNT(x) over numbers; other values are skipped", () => {
    const rule = "SELECT AVG(t) OVER 10m AS avg, SUM(t) OVER 10m AS sum, MIN(t) OVER 10m AS lo, MAX(t) OVER 10m AS hi, COUNT(t) OVER 10m AS n FROM telemetry";
    const r = run(rule, [ev(0, { t: 20 }), ev(M, { t: "warm" }), ev(2 * M, { t: 30 }), ev(3 * M, {}), ev(4 * M, { t: 25 })]);
    expect(r.firings[4].output).toEqual({ avg: 25, sum: 75, lo: 20, hi: 30, n: 4 });
    expect(run(rule, [ev(0, { t: "x" })]).firings[0].output).toEqual({ n: 1 });
  });

  it("slides in steps of g: an event counts for at most W and more than W - g", () => {
    const n = (w: string, times: number[]) => run(`SELECT COUNT(*) OVER ${w} AS n FROM telemetry`, times.map((t) => ev(t, {}))).firings.map((f) => f.output.n);
    expect(n("1s", [9, 999])).toEqual([1, 2]); // 1 s: 100 buckets of 10 ms
    expect(n("1s", [9, 1000])).toEqual([1, 1]);
    expect(n("7ms", [0, 6, 7])).toEqual([1, 2, 2]); // up to 120 ms: 1 ms buckets, exact
    // a prime: 119 buckets of 66 ms (120 would make 7920 > W), so the event at 0 leaves at 7854
    expect(n("7919ms", [0, 7853])).toEqual([1, 2]);
    expect(n("7919ms", [0, 7854])).toEqual([1, 1]);
  });

  it("1m: 120 buckets of 500 ms", () => {
    const rule = "SELECT COUNT(*) OVER 1m AS n FROM telemetry";
    const n = (times: number[]) => run(rule, times.map((t) => ev(t, {}))).firings.map((f) => f.output.n);
    expect(n([499, 59_999])).toEqual([1, 2]); // bucket 0 is in the window until 60 000
    expect(n([499, 60_000])).toEqual([1, 1]);
    expect(n([500, 60_499])).toEqual([1, 2]);
    expect(n([500, 60_500])).toEqual([1, 1]);
  });

  it("keeps at most one bucket per step, whatever the rate", () => {
    const rule = compile("SELECT COUNT(*) OVER 1m AS n FROM telemetry");
    const r = run(rule, Array.from({ length: 5000 }, (_, i) => ev(i * 37, {})));
    expect(r.state.windows[0].n.length).toBeLessThanOrEqual(120);
    expect(r.firings[4999].output.n).toBe(Array.from({ length: 5000 }, (_, i) => i * 37).filter((t) => Math.floor(t / 500) > Math.floor((4999 * 37) / 500) - 120).length);
  });
});

describe("LIMIT n PER d", () => {
  it("lets n firings through in any window of d, suppresses and counts the rest", () => {
    const r = run("SELECT * FROM telemetry LIMIT 2 PER 1m", [0, 10, 20, 30, 59_999, 60_000, 60_010, 60_020].map((t) => ev(t, { t })));
    expect(at(r)).toEqual([0, 10, 60_000, 60_010]);
    expect(r.suppressed).toBe(4);
    expect(r.state.suppressed).toBe(4);
    expect(r.state.fired).toBe(4);
  });
});

describe("state", () => {
  const sql = "SELECT temp FROM telemetry WHERE temp > 30 FOR 5m LIMIT 1 PER 1h";

  it("starts fresh from null, from another rule's state, and from damaged state", () => {
    const rule = compile(sql);
    const other = compile("SELECT temp FROM telemetry WHERE temp > 31 FOR 5m LIMIT 1 PER 1h");
    const theirs = run(other, [ev(0, { temp: 40 })]).state;
    for (const bad of [null, undefined, 42, "x", [], {}, theirs, { ...initialState(rule), for: { since: "x", fired: false } }, { ...initialState(rule), sent: [1, 2] }]) {
      const r = evaluate(rule, bad, { source: "telemetry", data: { temp: 31 } }, { deviceId: "d", now: 1000 });
      expect(r.state).toMatchObject({ rule: rule.fingerprint, for: { since: 1000, fired: false } });
    }
  });

  it("keeps its state across an edit that only changes spelling", () => {
    const a = compile(sql);
    const b = compile(sql.toLowerCase().replace("5m", "300s"));
    const s = run(a, [ev(0, { temp: 31 })]).state;
    expect(tick(b, s, { deviceId: "d", now: 5 * M }).firings).toHaveLength(1);
  });

  it("does not mutate the state or the event it is given", () => {
    const rule = compile("SELECT COUNT(*) OVER 1m AS n, temp FROM telemetry WHERE temp > 30 FOR 1s LIMIT 5 PER 1m");
    const deepFreeze = <T>(x: T): T => {
      if (typeof x === "object" && x !== null) for (const v of Object.values(x)) deepFreeze(v);
      return Object.freeze(x);
    };
    let state: unknown = null;
    for (let t = 0; t < 5000; t += 700) {
      const r = evaluate(rule, deepFreeze(state), deepFreeze({ source: "telemetry", data: { temp: 31 } }), { deviceId: "d", now: t });
      state = tick(rule, deepFreeze(r.state), { deviceId: "d", now: t + 350 }).state;
    }
    expect((state as { fired: number }).fired).toBe(1);
  });

  it("treats a clock that steps back as standing still", () => {
    const r = run("SELECT COUNT(*) OVER 1m AS n FROM telemetry", [ev(100_000, {}), ev(0, {})]);
    expect(r.firings.map((f) => [f.at, f.output.n])).toEqual([[100_000, 1], [100_000, 2]]);
  });

  it("rejects a non-finite clock as a caller error", () => {
    expect(() => tick(compile(sql), null, { deviceId: "d", now: Number.NaN })).toThrow(TypeError);
  });
});
