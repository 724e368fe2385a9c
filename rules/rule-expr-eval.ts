/**
 * Evaluates compiled expressions with SQL's three-valued logic. A value is JSON or `undefined`
 * ("no value": a missing field, a type mismatch, a division by zero). `null` and `undefined` are
 * both NULL to comparisons, which then yield unknown (`null`): `temp > 30` is neither true nor
 * false for an event without `temp`, and `NOT` of unknown stays unknown. There is no coercion:
 * `'5' = 5` is false, and arithmetic and ordering want numbers (ordering also accepts strings).
 */
import type { CExpr, CompiledRule } from "./rule-compile";
import { isJsonObject, jsonEquals, ownField } from "../protocols/json-value";
import type { JsonObject, JsonValue } from "../protocols/json-value";
import { ROUND_MAX_DIGITS, roundHalfAway } from "./rule-round";

/** A value during evaluation: JSON, or `undefined` for "no value". */
export type Value = JsonValue | undefined;
/** Three-valued truth: `null` is unknown. */
export type Truth = boolean | null;

/** What an expression can see: the event row, the rule's windows, the device and the clock. */
export interface EvalEnv {
  readonly rule: CompiledRule;
  readonly data: JsonObject;
  readonly topic: string | null;
  /** The event's time (`timestamp()`). */
  readonly ts: number;
  readonly deviceId: string;
  /** Window values by slot, read at the evaluation instant. */
  readonly aggregates: readonly Value[];
  /** SELECT item values computed so far (for aliases and the projection), made on first use. */
  items: Map<number, Value> | null;
}

const isNull = (v: Value): v is null | undefined => v === null || v === undefined;

/** Condition truth of a value: only the boolean `true` is true. */
export function truth(v: Value): Truth {
  return typeof v === "boolean" ? v : null;
}

function readPath(data: JsonObject, path: readonly (string | number)[]): Value {
  let cur: Value = data;
  for (const seg of path) {
    if (typeof seg === "number") cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isJsonObject(cur) ? ownField(cur, seg) : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

const finite = (n: number): Value => (Number.isFinite(n) ? n : undefined);

function arithmetic(op: string, a: Value, b: Value): Value {
  if (typeof a !== "number" || typeof b !== "number") return undefined;
  switch (op) {
    case "+":
      return finite(a + b);
    case "-":
      return finite(a - b);
    case "*":
      return finite(a * b);
    case "/":
      return b === 0 ? undefined : finite(a / b);
    default:
      return b === 0 ? undefined : finite(a % b);
  }
}

/** `=` without coercion; NULL on either side is unknown. */
function equals(a: Value, b: Value): Truth {
  if (isNull(a) || isNull(b)) return null;
  return jsonEquals(a, b);
}

function compare(op: string, a: Value, b: Value): Truth {
  if (op === "=") return equals(a, b);
  if (op === "!=") {
    const eq = equals(a, b);
    return eq === null ? null : !eq;
  }
  const ordered = (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string");
  if (!ordered) return null;
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a >= b;
  }
}

const not = (t: Truth): Truth => (t === null ? null : !t);

function and(e: { l: CExpr; r: CExpr }, env: EvalEnv): Truth {
  const l = truth(evalExpr(e.l, env));
  if (l === false) return false;
  const r = truth(evalExpr(e.r, env));
  if (r === false) return false;
  return l === null || r === null ? null : true;
}

function or(e: { l: CExpr; r: CExpr }, env: EvalEnv): Truth {
  const l = truth(evalExpr(e.l, env));
  if (l === true) return true;
  const r = truth(evalExpr(e.r, env));
  if (r === true) return true;
  return l === null || r === null ? null : false;
}

function inList(e: { a: CExpr; list: CExpr[] }, env: EvalEnv): Truth {
  const v = evalExpr(e.a, env);
  if (isNull(v)) return null;
  let unknown = false;
  for (const item of e.list) {
    const eq = equals(v, evalExpr(item, env));
    if (eq === true) return true;
    if (eq === null) unknown = true;
  }
  return unknown ? null : false;
}

/** SQL ROUND: half away from zero, to `digits` decimals (0 to 15), on the decimal as written (rule-round.ts). */
function round(x: Value, digits: Value): Value {
  if (typeof x !== "number" || !Number.isFinite(x)) return undefined;
  const d = digits === undefined ? 0 : digits;
  if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > ROUND_MAX_DIGITS) return undefined;
  return finite(roundHalfAway(x, d));
}

/** LEAST/GREATEST: NULLs are skipped, any other non-number makes the result undefined. */
function extreme(args: Value[], pick: (a: number, b: number) => number): Value {
  let best: number | undefined;
  for (const v of args) {
    if (isNull(v)) continue;
    if (typeof v !== "number") return undefined;
    best = best === undefined ? v : pick(best, v);
  }
  return best;
}

function call(e: Extract<CExpr, { k: "call" }>, env: EvalEnv): Value {
  const args = e.args.map((a) => evalExpr(a, env));
  switch (e.name) {
    case "abs":
      return typeof args[0] === "number" ? Math.abs(args[0]) : undefined;
    case "round":
      return round(args[0], args[1]);
    case "min":
      return extreme(args, Math.min);
    case "max":
      return extreme(args, Math.max);
    case "deviceId":
      return env.deviceId;
    case "timestamp":
      return env.ts;
    case "topic":
      return env.topic ?? undefined;
  }
}

/** The value of SELECT item `index` (computed once per evaluation). */
export function itemValue(index: number, env: EvalEnv): Value {
  const items = (env.items ??= new Map());
  if (items.has(index)) return items.get(index);
  const item = env.rule.select[index];
  const v = item.star ? undefined : evalExpr(item.expr, env);
  items.set(index, v);
  return v;
}

/**
 * Evaluates one compiled expression.
 * @example evalExpr({ k: "bin", op: ">", l: { k: "field", path: ["t"] }, r: { k: "lit", v: 30 } }, env) // true, false or null
 */
export function evalExpr(e: CExpr, env: EvalEnv): Value {
  switch (e.k) {
    case "lit":
      return e.v;
    case "field":
      return readPath(env.data, e.path);
    case "neg": {
      const v = evalExpr(e.a, env);
      return typeof v === "number" ? -v : undefined;
    }
    case "not":
      return not(truth(evalExpr(e.a, env)));
    case "bin":
      if (e.op === "AND") return and(e, env);
      if (e.op === "OR") return or(e, env);
      if (e.op === "+" || e.op === "-" || e.op === "*" || e.op === "/" || e.op === "%") return arithmetic(e.op, evalExpr(e.l, env), evalExpr(e.r, env));
      return compare(e.op, evalExpr(e.l, env), evalExpr(e.r, env));
    case "isNull":
      return isNull(evalExpr(e.a, env)) !== e.neg;
    case "in":
      return e.neg ? not(inList(e, env)) : inList(e, env);
    case "call":
      return call(e, env);
    case "agg":
      return env.aggregates[e.slot];
    case "alias":
      return itemValue(e.item, env);
  }
}
