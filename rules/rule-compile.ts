/**
 * Turns a parsed rule into what the evaluator runs: expressions with SELECT aliases resolved
 * (in HAVING, WHEN and UNTIL) and every distinct `... OVER` aggregate given a window slot; the
 * rule's trigger mode; which clause filters events and which one is the condition; and a
 * fingerprint of the canonical text, so state saved for another version of the rule is dropped.
 */
import type { AggregateFunction, BinaryOp, Expr, PathSegment, RuleAst, RuleSource, ScalarFunction } from "./rule-ast";
import { RuleSyntaxError, type RuleErrorInfo } from "./rule-error";
import { RULE_LIMITS } from "./rule-limits";
import { parseRule } from "./rule-parser";
import { implicitName, printExpr, printRule } from "./rule-print";

/** A compiled expression: the syntax tree's shapes, aliases inlined, aggregates as slot numbers. */
export type CExpr =
  | { k: "lit"; v: string | number | boolean | null }
  | { k: "field"; path: PathSegment[] }
  | { k: "neg" | "not"; a: CExpr }
  | { k: "bin"; op: BinaryOp; l: CExpr; r: CExpr }
  | { k: "isNull"; a: CExpr; neg: boolean }
  | { k: "in"; a: CExpr; list: CExpr[]; neg: boolean }
  | { k: "call"; name: ScalarFunction; args: CExpr[] }
  | { k: "agg"; slot: number }
  /** An `AS` alias named in HAVING, WHEN or UNTIL: the value of `select[item]`, computed once. */
  | { k: "alias"; item: number };

/** One sliding window: `span` buckets of `bucketMs` each (see rule-window.ts). */
export interface WindowSpec {
  fn: AggregateFunction;
  arg: CExpr | null;
  windowMs: number;
  bucketMs: number;
  span: number;
}

/** How a rule fires: on every matching event, once per held condition, or with hysteresis. */
export type TriggerMode = "each" | "for" | "hysteresis";

/** A rule ready to evaluate. Build with {@link compileRule}; it is immutable and reusable. */
export interface CompiledRule {
  /** The canonical text (`printRule`), e.g. for display after an edit. */
  readonly text: string;
  readonly ast: RuleAst;
  /** Changes whenever the rule's meaning may change; stored in its state. */
  readonly fingerprint: string;
  readonly source: RuleSource;
  readonly mode: TriggerMode;
  /** WHERE: only events where it is true are counted by windows and reach the condition. */
  readonly filter: CExpr | null;
  /** The level condition of `each` and `for` rules after the filter (`null`: always true). */
  readonly condition: CExpr | null;
  /** A FOR rule without HAVING: WHERE is its condition, so an event where it is false ends the run. */
  readonly filterEndsRun: boolean;
  readonly when: CExpr | null;
  readonly until: CExpr | null;
  readonly select: ReadonlyArray<{ star: true } | { star: false; name: string; expr: CExpr }>;
  readonly windows: readonly WindowSpec[];
  readonly forMs: number | null;
  readonly limit: { count: number; per: number } | null;
  /** Whether the state keeps the latest deciding event (FOR, or conditions that a tick re-reads). */
  readonly needsLast: boolean;
  /** Whether window expiry can change the condition, so ticks must re-evaluate it. */
  readonly windowTicks: boolean;
  /** Top-level data keys the rule reads (`null` with `SELECT *`): all the state keeps of an event. */
  readonly rowKeys: readonly string[] | null;
}

/** Bumped when the shape or meaning of saved state changes. */
export const STATE_FORMAT = 1;

/** FNV-1a, two lanes: a cheap, stable 64-bit fingerprint of a string. */
function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

class Compiler {
  readonly windows: WindowSpec[] = [];
  private readonly slots = new Map<string, number>();
  readonly fields = new Set<string>();
  /** Alias name to SELECT item index. */
  readonly aliases = new Map<string, number>();

  /** `withAliases`: a bare name that is an `AS` alias means that SELECT item. */
  expr(e: Expr, withAliases: boolean): CExpr {
    const sub = (x: Expr) => this.expr(x, withAliases);
    switch (e.kind) {
      case "literal":
        return { k: "lit", v: e.value };
      case "path": {
        const item = withAliases && e.path.length === 1 ? this.aliases.get(String(e.path[0])) : undefined;
        if (item !== undefined) return { k: "alias", item };
        this.fields.add(String(e.path[0]));
        return { k: "field", path: e.path };
      }
      case "unary":
        return { k: e.op === "-" ? "neg" : "not", a: sub(e.arg) };
      case "binary":
        return { k: "bin", op: e.op, l: sub(e.left), r: sub(e.right) };
      case "isNull":
        return { k: "isNull", a: sub(e.arg), neg: e.negated };
      case "in":
        return { k: "in", a: sub(e.arg), list: e.list.map(sub), neg: e.negated };
      case "call":
        return { k: "call", name: e.name, args: e.args.map(sub) };
      case "aggregate": {
        const key = printExpr(e);
        let slot = this.slots.get(key);
        if (slot === undefined) {
          slot = this.windows.length;
          this.slots.set(key, slot);
          const arg = e.arg === null ? null : this.expr(e.arg, false);
          this.windows.push({ fn: e.fn, arg, windowMs: e.window, ...windowBuckets(e.window) });
        }
        return { k: "agg", slot };
      }
    }
  }
}

/**
 * Bucket width `g` and count `span` of a window of `w` ms, with `span · g ≤ w` so an event never
 * counts longer than `w`: exactly `w` when some span from 60 to 120 divides it (every window in
 * whole seconds, and every one up to 120 ms), else `g = ceil(w / 120)`, `span = floor(w / g)`.
 * @example windowBuckets(1000) // { bucketMs: 10, span: 100 }
 */
export function windowBuckets(w: number): { bucketMs: number; span: number } {
  const max = RULE_LIMITS.windowBuckets;
  if (w <= max) return { bucketMs: 1, span: w };
  for (let span = max; span >= max / 2; span--) if (w % span === 0) return { bucketMs: w / span, span };
  const bucketMs = Math.ceil(w / max);
  return { bucketMs, span: Math.floor(w / bucketMs) };
}

/** True when a compiled expression reads a window (`items`: the SELECT expressions, for aliases). */
function readsWindow(e: CExpr | null, items: ReadonlyArray<CExpr | null>): boolean {
  if (e === null) return false;
  const sub = (x: CExpr) => readsWindow(x, items);
  switch (e.k) {
    case "agg":
      return true;
    case "alias":
      return readsWindow(items[e.item], []);
    case "lit":
    case "field":
      return false;
    case "neg":
    case "not":
    case "isNull":
      return sub(e.a);
    case "bin":
      return sub(e.l) || sub(e.r);
    case "in":
      return sub(e.a) || e.list.some(sub);
    case "call":
      return e.args.some(sub);
  }
}

/**
 * Compiles a parsed rule (for callers that build or transform syntax trees; most use
 * {@link compileRule}).
 */
export function compileAst(ast: RuleAst): CompiledRule {
  const c = new Compiler();
  ast.select.forEach((item, i) => {
    if (item.kind === "expr" && item.alias !== null) c.aliases.set(item.alias, i);
  });
  const select = ast.select.map((item) =>
    item.kind === "star" ? { star: true as const } : { star: false as const, name: item.alias ?? implicitName(item.expr), expr: c.expr(item.expr, false) },
  );
  const items = select.map((item) => (item.star ? null : item.expr));
  const where = ast.where && c.expr(ast.where, false);
  const having = ast.having && c.expr(ast.having, true);
  const when = ast.when && c.expr(ast.when.when, true);
  const until = ast.when && c.expr(ast.when.until, true);
  const mode: TriggerMode = ast.when ? "hysteresis" : ast.for !== null ? "for" : "each";
  // WHERE always picks the events (what windows count); HAVING or WHEN/UNTIL decide on those. A
  // FOR rule needs false events to end a run, so without HAVING its WHERE is the condition too.
  const filterEndsRun = mode === "for" && having === null && where !== null;
  const condition = mode === "hysteresis" ? null : having;
  const windowTicks = mode !== "each" && [condition, when, until].some((e) => readsWindow(e, items));
  const text = printRule(ast);
  return {
    text,
    ast,
    fingerprint: fingerprint(`${STATE_FORMAT}\n${text}`),
    source: ast.from,
    mode,
    filter: where,
    condition,
    filterEndsRun,
    when,
    until,
    select,
    windows: c.windows,
    forMs: ast.for,
    limit: ast.limit,
    needsLast: mode === "for" || windowTicks,
    windowTicks,
    rowKeys: ast.select.some((i) => i.kind === "star") ? null : [...c.fields].sort(),
  };
}

/**
 * Parses and compiles rule text. Never throws: invalid text gives `{ ok: false, error }` with a
 * 1-based line and column and the offending token.
 * @example
 * const r = compileRule("SELECT temp FROM telemetry WHERE temp > 30 FOR 5m");
 * if (r.ok) r.rule.mode // "for"
 * @example compileRule("SELECT temp FROM telemetry WHERE temp >") // { ok: false, error: { message: "expected an expression, found end of input", line: 1, column: 40, token: "end of input" } }
 */
export function compileRule(sql: string): { ok: true; rule: CompiledRule } | { ok: false; error: RuleErrorInfo } {
  try {
    return { ok: true, rule: compileAst(parseRule(sql)) };
  } catch (err) {
    if (err instanceof RuleSyntaxError) return { ok: false, error: err.toJSON() };
    throw err;
  }
}
