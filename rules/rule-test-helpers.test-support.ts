/**
 * Drives a rule through a script of events and ticks for the evaluator tests, optionally passing
 * the state through JSON between steps as the device object does.
 */
import { compileRule, evaluate, tick } from "./index";
import type { CompiledRule, Firing, RuleResult, RuleState } from "./index";
import type { JsonObject } from "../protocols/json-value";

/** One step: an event (source defaults to the rule's) or a tick, at `at` ms. */
export type Step = { at: number; data: JsonObject; source?: string; topic?: string; ts?: number } | { at: number; tick: true };

/** Compiles or throws (tests only use valid rules here). */
export function compile(sql: string): CompiledRule {
  const r = compileRule(sql);
  if (!r.ok) throw new Error(`${r.error.message} at ${r.error.line}:${r.error.column}`);
  return r.rule;
}

/** Runs `steps` in order; `viaJson` stores and restores the state between steps. */
export function run(rule: CompiledRule | string, steps: Step[], opts: { viaJson?: boolean; state?: unknown; deviceId?: string } = {}) {
  const r = typeof rule === "string" ? compile(rule) : rule;
  let state: unknown = opts.state ?? null;
  const firings: Firing[] = [];
  const results: RuleResult[] = [];
  let suppressed = 0;
  for (const step of steps) {
    const ctx = { deviceId: opts.deviceId ?? "d1", now: step.at };
    const res = "tick" in step ? tick(r, state, ctx) : evaluate(r, state, { source: step.source ?? r.source, data: step.data, topic: step.topic, ts: step.ts }, ctx);
    results.push(res);
    firings.push(...res.firings);
    suppressed += res.suppressed;
    state = opts.viaJson ? JSON.parse(JSON.stringify(res.state)) : res.state;
  }
  return { firings, results, suppressed, state: state as RuleState, last: results[results.length - 1] };
}

/** Shorthand for an event step. */
export const ev = (at: number, data: JsonObject, extra: { source?: string; topic?: string; ts?: number } = {}): Step => ({ at, data, ...extra });
/** Shorthand for a tick step. */
export const tk = (at: number): Step => ({ at, tick: true });
