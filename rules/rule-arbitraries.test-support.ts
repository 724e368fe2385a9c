/**
 * fast-check generators of rule syntax trees for the property tests: every shape the grammar
 * can express (within the size limits), including names that need quoting, negative and -0
 * literals, strings with quotes and newlines, and aggregates only where the grammar allows them.
 */
import fc from "fast-check";
import { AGGREGATE_FUNCTIONS, RULE_SOURCES } from "./rule-ast";
import type { BinaryOp, Expr, PathSegment, RuleAst, SelectItem } from "./rule-ast";
import { RULE_LIMITS } from "./rule-limits";
import { implicitName, printExpr } from "./rule-print";

const OPS: BinaryOp[] = ["OR", "AND", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"];

/** Names: plain words, keywords, and arbitrary text that must be quoted. */
export const nameArb = fc.oneof(
  fc.constantFrom("a", "temp", "door", "count", "min", "for", "select", "NULL", "x_1", "status"),
  fc.string({ minLength: 1, maxLength: 6, unit: "binary" }),
);

const segmentArb: fc.Arbitrary<PathSegment> = fc.oneof(fc.string({ maxLength: 5, unit: "binary" }), nameArb, fc.nat(1000));
const pathArb = fc.tuple(nameArb, fc.array(segmentArb, { maxLength: 3 })).map(([first, rest]) => [first, ...rest]);

const literalArb: fc.Arbitrary<Expr> = fc
  .oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 8, unit: "binary" }), fc.boolean(), fc.constant(null))
  .map((value) => ({ kind: "literal", value }));

const durationArb = (max: number) => fc.oneof(fc.integer({ min: 1, max }), fc.constantFrom(1000, 60_000, 3_600_000).filter((d) => d <= max));

/** Expressions; `aggregates` says whether `... OVER` may appear. */
export function exprArb(aggregates: boolean, maxDepth = 4): fc.Arbitrary<Expr> {
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => {
    const sub = tie("expr");
    const inner = aggregates ? exprArb(false, 2) : literalArb;
    const leaves: Array<fc.Arbitrary<Expr>> = [literalArb, pathArb.map((path) => ({ kind: "path" as const, path }))];
    const nodes: Array<fc.Arbitrary<Expr>> = [
      fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom("-" as const, "NOT" as const), arg: sub }),
      fc.record({ kind: fc.constant("binary" as const), op: fc.constantFrom(...OPS), left: sub, right: sub }),
      fc.record({ kind: fc.constant("isNull" as const), arg: sub, negated: fc.boolean() }),
      fc.record({ kind: fc.constant("in" as const), arg: sub, list: fc.array(sub, { minLength: 1, maxLength: 3 }), negated: fc.boolean() }),
      fc.oneof(
        fc.record({ kind: fc.constant("call" as const), name: fc.constantFrom("abs" as const), args: fc.tuple(sub) }),
        fc.record({ kind: fc.constant("call" as const), name: fc.constantFrom("round" as const, "min" as const, "max" as const), args: fc.array(sub, { minLength: 1, maxLength: 2 }) }),
        fc.record({ kind: fc.constant("call" as const), name: fc.constantFrom("deviceId" as const, "timestamp" as const, "topic" as const), args: fc.constant<Expr[]>([]) }),
      ),
    ];
    if (aggregates) {
      nodes.push(
        fc.record({
          kind: fc.constant("aggregate" as const),
          fn: fc.constantFrom(...AGGREGATE_FUNCTIONS),
          arg: inner,
          window: durationArb(RULE_LIMITS.maxWindow),
        }),
        fc.record({ kind: fc.constant("aggregate" as const), fn: fc.constant("COUNT" as const), arg: fc.constant(null), window: durationArb(RULE_LIMITS.maxWindow) }),
      );
    }
    return { expr: fc.oneof({ maxDepth, depthSize: "small", withCrossShrink: true }, ...leaves, ...nodes) };
  });
  return expr;
}

function countNodes(e: Expr): number {
  switch (e.kind) {
    case "literal":
    case "path":
      return 1;
    case "unary":
    case "isNull":
      return 1 + countNodes(e.arg);
    case "binary":
      return 1 + countNodes(e.left) + countNodes(e.right);
    case "in":
      return 1 + countNodes(e.arg) + e.list.reduce((n, x) => n + countNodes(x), 0);
    case "call":
      return 1 + e.args.reduce((n, x) => n + countNodes(x), 0);
    case "aggregate":
      return 1 + (e.arg ? countNodes(e.arg) : 0);
  }
}

function aggregatesOf(e: Expr, out: Set<string>): void {
  if (e.kind === "aggregate") out.add(printExpr(e));
  for (const child of childrenOf(e)) aggregatesOf(child, out);
}

function childrenOf(e: Expr): Expr[] {
  switch (e.kind) {
    case "literal":
    case "path":
      return [];
    case "unary":
    case "isNull":
      return [e.arg];
    case "binary":
      return [e.left, e.right];
    case "in":
      return [e.arg, ...e.list];
    case "call":
      return e.args;
    case "aggregate":
      return e.arg ? [e.arg] : [];
  }
}

const itemArb: fc.Arbitrary<SelectItem> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: "star" as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("expr" as const), expr: exprArb(true, 3), alias: fc.option(nameArb, { nil: null }) }) },
);

/** Whole rules that satisfy every rule the parser enforces (sizes, names, clause mixes). */
export const ruleArb: fc.Arbitrary<RuleAst> = fc
  .record({
    select: fc.array(itemArb, { minLength: 1, maxLength: 4 }),
    from: fc.constantFrom(...RULE_SOURCES),
    where: fc.option(exprArb(false), { nil: null }),
    when: fc.option(fc.record({ when: exprArb(true, 3), until: exprArb(true, 3) }), { nil: null }),
    having: fc.option(exprArb(true, 3), { nil: null }),
    for: fc.option(durationArb(RULE_LIMITS.maxFor), { nil: null }),
    limit: fc.option(fc.record({ count: fc.integer({ min: 1, max: RULE_LIMITS.maxLimitCount }), per: durationArb(RULE_LIMITS.maxLimitPer) }), { nil: null }),
  })
  .map((r) => (r.when ? { ...r, having: null, for: null } : r))
  .filter((r) => {
    const exprs = [...r.select.flatMap((i) => (i.kind === "expr" ? [i.expr] : [])), r.where, r.when?.when, r.when?.until, r.having].filter((e): e is Expr => !!e);
    if (exprs.reduce((n, e) => n + countNodes(e), 0) > RULE_LIMITS.maxNodes) return false;
    const aggs = new Set<string>();
    exprs.forEach((e) => aggregatesOf(e, aggs));
    if (aggs.size > RULE_LIMITS.maxAggregates) return false;
    const names = r.select.flatMap((i) => (i.kind === "expr" ? [i.alias ?? implicitName(i.expr)] : ["*"]));
    return new Set(names).size === names.length;
  });
