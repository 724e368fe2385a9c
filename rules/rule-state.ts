/**
 * The evaluation state of one rule on one device: plain JSON, stored by the device's object after
 * every change and handed back on the next call. Whatever comes back is checked against the rule
 * it is used with: state of another rule version (its fingerprint differs), of an older format,
 * or damaged in any way is replaced by a fresh state instead of crashing the evaluator.
 */
import type { CompiledRule } from "./rule-compile";
import { copyWindow, emptyWindow, isWindowState, type WindowState } from "./rule-window";
import { isJsonObject } from "../protocols/json-value";
import type { JsonObject } from "../protocols/json-value";

/** The latest event that decided the condition, as far as the rule reads it. */
export interface LastEvent {
  data: JsonObject;
  topic: string | null;
  ts: number;
}

/** A rule's state (plain JSON; see rules/README.md, "State"). */
export interface RuleState {
  /** Format version. */
  v: 1;
  /** Fingerprint of the compiled rule this state belongs to. */
  rule: string;
  /** The latest instant processed; time never runs backwards for a rule. */
  now: number | null;
  /** FOR rules: since when the condition holds (`null`: it does not), and whether that run fired. */
  for: { since: number | null; fired: boolean } | null;
  /** Hysteresis rules: whether WHEN can fire (true until it fires, again after UNTIL). */
  armed: boolean | null;
  /** See {@link LastEvent}; kept only when a tick must re-read it. */
  last: LastEvent | null;
  /** One window per `... OVER` slot. */
  windows: WindowState[];
  /** Times of the firings let through inside the current LIMIT period. */
  sent: number[];
  /** Firings let through, in total. */
  fired: number;
  /** Firings dropped by LIMIT, in total. */
  suppressed: number;
}

/**
 * A fresh state for `rule`.
 * @example initialState(rule) // { v: 1, rule: "…", now: null, for: null, armed: null, last: null, windows: [], sent: [], fired: 0, suppressed: 0 }
 */
export function initialState(rule: CompiledRule): RuleState {
  return {
    v: 1,
    rule: rule.fingerprint,
    now: null,
    for: rule.mode === "for" ? { since: null, fired: false } : null,
    armed: rule.mode === "hysteresis" ? true : null,
    last: null,
    windows: rule.windows.map(emptyWindow),
    sent: [],
    fired: 0,
    suppressed: 0,
  };
}

const isTime = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

function isLast(x: unknown): x is LastEvent {
  if (!isJsonObject(x)) return false;
  return isJsonObject(x.data) && (x.topic === null || typeof x.topic === "string") && isTime(x.ts);
}

function isForState(x: unknown): x is { since: number | null; fired: boolean } {
  return isJsonObject(x) && (x.since === null || isTime(x.since)) && typeof x.fired === "boolean";
}

/** Whether `x` is a usable state for `rule` (checks every field, so no later step can trip). */
export function isRuleState(rule: CompiledRule, x: unknown): x is RuleState {
  if (!isJsonObject(x) || x.v !== 1 || x.rule !== rule.fingerprint) return false;
  if (!(x.now === null || isTime(x.now)) || !isCount(x.fired) || !isCount(x.suppressed)) return false;
  if (rule.mode === "for" ? !isForState(x.for) : x.for !== null) return false;
  if (rule.mode === "hysteresis" ? typeof x.armed !== "boolean" : x.armed !== null) return false;
  if (!(x.last === null || (rule.needsLast && isLast(x.last)))) return false;
  const { windows, sent } = x;
  if (!Array.isArray(windows) || windows.length !== rule.windows.length) return false;
  if (!rule.windows.every((spec, i) => isWindowState(spec, windows[i]))) return false;
  const max = rule.limit ? rule.limit.count : 0;
  return Array.isArray(sent) && sent.length <= max && sent.every(isTime);
}

/**
 * States this module handed out. The object keeps a rule's state in memory between events and
 * passes back what it got (treating it as read-only), so only state restored from storage needs
 * the full check; for the rest the fingerprint suffices.
 */
const issued = new WeakSet<object>();

/** Marks a state as handed out by the evaluator (see {@link restoreState}). */
export function issueState(s: RuleState): RuleState {
  issued.add(s);
  return s;
}

/**
 * A private, mutable copy of `x` when it is valid for `rule`, else a fresh state. Windows are
 * copied (prune and add change their arrays in place); `last` is replaced, never changed.
 */
export function restoreState(rule: CompiledRule, x: unknown): RuleState {
  const trusted = typeof x === "object" && x !== null && issued.has(x) && (x as RuleState).rule === rule.fingerprint;
  if (!trusted && !isRuleState(rule, x)) return initialState(rule);
  const s = x as RuleState;
  const windows: WindowState[] = [];
  for (const w of s.windows) windows.push(copyWindow(w));
  return {
    v: 1,
    rule: s.rule,
    now: s.now,
    for: s.for && { since: s.for.since, fired: s.for.fired },
    armed: s.armed,
    last: s.last,
    windows,
    sent: s.sent.slice(),
    fired: s.fired,
    suppressed: s.suppressed,
  };
}
