/**
 * The rule evaluator: `(rule, state, event | tick, now) → (state, firings, wakeAt)`, pure.
 *
 * Time is `ctx.now` only (the object's clock; a device's own timestamps are data). Every call
 * first catches up on the instants that passed since the last one — a FOR deadline, a window
 * bucket leaving a window that a FOR or WHEN condition reads — in time order, then handles the
 * event. So firings and their `at` times do not depend on when, or whether, ticks were called:
 * a late alarm gives the same firings, only later.
 */
import type { CompiledRule } from "./rule-compile";
import { evalExpr, itemValue, truth, type EvalEnv, type Truth, type Value } from "./rule-expr-eval";
import { issueState, restoreState, type LastEvent, type RuleState } from "./rule-state";
import { addToWindow, nextWindowChange, pruneWindow, readWindow } from "./rule-window";
import { isJsonObject, ownField, setOwnField } from "../protocols/json-value";
import type { JsonObject, JsonValue } from "../protocols/json-value";

/** One input event (see rules/README.md, "Sources" for each source's `data`). */
export interface RuleEvent {
  source: string;
  data: JsonObject;
  /** When the data was produced (epoch ms; `timestamp()`); defaults to `now`. */
  ts?: number;
  /** The topic it came on (`topic()`). */
  topic?: string | null;
}

/** Who evaluates, and when (epoch ms). */
export interface RuleContext {
  deviceId: string;
  now: number;
}

/** One firing: the SELECT projection, and the instant the rule fired. */
export interface Firing {
  output: JsonObject;
  at: number;
}

/** What `evaluate` and `tick` return. Persist `state`; call `tick` at `wakeAt` (if not null). */
export interface RuleResult {
  state: RuleState;
  firings: Firing[];
  /** Firings dropped by LIMIT during this call (the state keeps the total). */
  suppressed: number;
  wakeAt: number | null;
}

/** Evaluation in progress: the state being changed and what came out. */
interface Run {
  rule: CompiledRule;
  s: RuleState;
  deviceId: string;
  firings: Firing[];
  suppressed: number;
}

/** The evaluation environment at `t`: windows pruned to `t` and, unless `bare`, read. */
function env(run: Run, row: LastEvent, t: number, bare = false): EvalEnv {
  const { rule, s } = run;
  const aggregates: Value[] = [];
  for (let i = 0; i < rule.windows.length; i++) {
    pruneWindow(rule.windows[i], s.windows[i], t);
    if (!bare) aggregates.push(readWindow(rule.windows[i], s.windows[i]));
  }
  return { rule, data: row.data, topic: row.topic, ts: row.ts, deviceId: run.deviceId, aggregates, items: null };
}

/** `obj[key] = v`, except that `"__proto__"` becomes an own key instead of the prototype. */
function put(obj: JsonObject, key: string, v: JsonValue): void {
  if (key === "__proto__") setOwnField(obj, key, v);
  else obj[key] = v;
}

function project(e: EvalEnv): JsonObject {
  const out: JsonObject = {};
  const select = e.rule.select;
  for (let i = 0; i < select.length; i++) {
    const item = select[i];
    if (item.star) {
      for (const key of Object.keys(e.data)) put(out, key, e.data[key]);
    } else {
      const v = itemValue(i, e);
      if (v !== undefined) put(out, item.name, v);
    }
  }
  return out;
}

/** Emits a firing at `t` unless LIMIT has let `count` through within the last `per` ms. */
function fire(run: Run, e: EvalEnv, t: number): void {
  const { rule, s } = run;
  if (rule.limit) {
    const per = rule.limit.per;
    s.sent = s.sent.filter((at) => at > t - per);
    if (s.sent.length >= rule.limit.count) {
      s.suppressed++;
      run.suppressed++;
      return;
    }
    s.sent.push(t);
  }
  s.fired++;
  run.firings.push({ output: project(e), at: t });
}

const holds = (e: EvalEnv, expr: CompiledRule["condition"]): Truth => (expr === null ? true : truth(evalExpr(expr, e)));

/** WHEN ... UNTIL at one evaluation; false when the clause read was unknown (nothing changed). */
function hysteresis(run: Run, e: EvalEnv, t: number): boolean {
  const { rule, s } = run;
  const armed = s.armed === true;
  const c = holds(e, armed ? rule.when : rule.until);
  if (c === null) return false;
  if (c) {
    // one transition per evaluation: a re-arming event never fires, so no two firings are adjacent
    s.armed = !armed;
    if (armed) fire(run, e, t);
  }
  return true;
}

/**
 * A level condition `c` at `t` (each and FOR rules); `null` is unknown or, at a tick, "no news".
 * A FOR deadline fires whether or not `c` is known: only a false ends a run.
 */
function level(run: Run, e: EvalEnv, t: number, c: Truth): void {
  const { rule, s } = run;
  if (rule.mode === "each") {
    if (c === true) fire(run, e, t);
    return;
  }
  const f = (s.for ??= { since: null, fired: false });
  if (c === false) {
    f.since = null;
    f.fired = false;
  } else if (c === true && f.since === null) f.since = t;
  if (f.since !== null && !f.fired && t - f.since >= (rule.forMs ?? 0)) {
    f.fired = true;
    fire(run, e, t);
  }
}

/** The next instant at which the rule must be re-evaluated without an event, or null. */
function nextInstant(rule: CompiledRule, s: RuleState): number | null {
  let next: number | null = null;
  if (rule.mode === "for" && s.for && s.for.since !== null && !s.for.fired) next = s.for.since + (rule.forMs ?? 0);
  if (rule.windowTicks) {
    for (let i = 0; i < rule.windows.length; i++) {
      const t = nextWindowChange(rule.windows[i], s.windows[i]);
      if (t !== null && (next === null || t < next)) next = t;
    }
  }
  return next;
}

/** Re-evaluates, in time order, every instant up to `now` that can change the rule's outcome. */
function catchUp(run: Run, now: number): void {
  // Each instant either removes a bucket or fires a pending FOR deadline (whatever the condition
  // reads), and a new deadline needs a condition change that only a removal brings, so this ends
  // after at most 2·buckets+1 rounds; the cap only guards against a mistake in that argument.
  for (let round = 0; round < 10_000; round++) {
    const t = nextInstant(run.rule, run.s);
    if (t === null || t > now) return;
    const e = env(run, run.s.last ?? { data: {}, topic: null, ts: t }, t);
    if (run.rule.mode === "hysteresis") hysteresis(run, e, t);
    // only a window change can change a condition between events; a deadline needs no re-read
    else level(run, e, t, run.rule.windowTicks ? holds(e, run.rule.condition) : null);
  }
}

function trimmed(rule: CompiledRule, row: LastEvent): LastEvent {
  if (rule.rowKeys === null) return row;
  const data: JsonObject = {};
  for (const key of rule.rowKeys) {
    const v = ownField(row.data, key);
    if (v !== undefined) setOwnField(data, key, v);
  }
  return { ...row, data };
}

function start(rule: CompiledRule, state: unknown, ctx: RuleContext): { run: Run; now: number } {
  if (!Number.isFinite(ctx.now)) throw new TypeError("rule evaluation needs a finite ctx.now (epoch ms)");
  const s = restoreState(rule, state);
  const now = s.now === null ? ctx.now : Math.max(s.now, ctx.now);
  return { run: { rule, s, deviceId: ctx.deviceId, firings: [], suppressed: 0 }, now };
}

function finish(run: Run, now: number): RuleResult {
  run.s.now = now;
  return { state: issueState(run.s), firings: run.firings, suppressed: run.suppressed, wakeAt: nextInstant(run.rule, run.s) };
}

/**
 * Feeds one event to a rule. `state` is what the previous call returned (or anything restored
 * from storage: invalid or foreign state is replaced by a fresh one). Never mutates its inputs.
 * @example
 * const { rule } = compileRule("SELECT temp FROM telemetry WHERE temp > 30") as { ok: true; rule: CompiledRule };
 * evaluate(rule, null, { source: "telemetry", data: { temp: 31 } }, { deviceId: "d1", now: 1000 }).firings
 * // [{ output: { temp: 31 }, at: 1000 }]
 */
export function evaluate(rule: CompiledRule, state: unknown, event: RuleEvent, ctx: RuleContext): RuleResult {
  const { run, now } = start(rule, state, ctx);
  catchUp(run, now);
  if (event.source !== rule.source) return finish(run, now);
  const ts = typeof event.ts === "number" && Number.isFinite(event.ts) ? event.ts : now;
  const row: LastEvent = { data: isJsonObject(event.data) ? event.data : {}, topic: typeof event.topic === "string" ? event.topic : null, ts };
  // WHERE and window arguments cannot read windows, so they run before the windows are read
  const bare = env(run, row, now, true);
  const picked = rule.filter === null ? true : truth(evalExpr(rule.filter, bare));
  if (picked === true) {
    for (let i = 0; i < rule.windows.length; i++) {
      const spec = rule.windows[i];
      addToWindow(spec, run.s.windows[i], now, spec.arg ? evalExpr(spec.arg, bare) : undefined, spec.arg === null);
    }
  } else if (!(picked === false && rule.filterEndsRun)) return finish(run, now);
  const e = env(run, row, now);
  // `picked` false gets here only for a FOR rule without HAVING, where it ends the run
  const c = picked === true ? (rule.mode === "hysteresis" ? null : holds(e, rule.condition)) : picked;
  const decided = rule.mode === "hysteresis" ? hysteresis(run, e, now) : (level(run, e, now, c), c !== null);
  // the latest event that decided something is what a later tick re-reads
  if (decided && rule.needsLast) run.s.last = trimmed(rule, row);
  return finish(run, now);
}

/**
 * Advances a rule to `ctx.now` without an event: fires FOR deadlines and re-reads expiring
 * windows. Call it at (or after) the `wakeAt` of the previous result.
 * @example tick(rule, state, { deviceId: "d1", now: result.wakeAt })
 */
export function tick(rule: CompiledRule, state: unknown, ctx: RuleContext): RuleResult {
  const { run, now } = start(rule, state, ctx);
  catchUp(run, now);
  return finish(run, now);
}
