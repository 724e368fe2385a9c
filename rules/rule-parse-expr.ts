/**
 * Recursive-descent parser for expressions, one method per precedence level (loosest first):
 * OR, AND, NOT, comparison (`=`, `IS NULL`, `IN`; they do not chain), `+ -`, `* / %`, unary
 * minus, then literals, paths, calls and parentheses. It counts nodes and nesting as it goes,
 * so hostile input hits a limit and a {@link RuleSyntaxError} long before the stack does.
 */
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS } from "./rule-ast";
import type { AggregateFunction, BinaryOp, Expr, PathSegment, ScalarFunction } from "./rule-ast";
import { RULE_LIMITS } from "./rule-limits";
import type { Token } from "./rule-lexer";
import { printExpr, RESERVED } from "./rule-print";
import { TokenCursor } from "./rule-token-cursor";

/** Where aggregates may appear: `null` when allowed, else the reason shown when one is found. */
export type AggregateRule = null | string;

const COMPARE: Record<string, BinaryOp> = { "=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=" };
const ARITY: Record<ScalarFunction, [number, number]> = {
  abs: [1, 1], round: [1, 2], min: [1, 16], max: [1, 16], deviceId: [0, 0], timestamp: [0, 0], topic: [0, 0],
};

/** The expression grammar; the clause grammar (rule-parser.ts) drives it. */
export class ExprParser extends TokenCursor {
  private nodes = 0;
  private depth = 0;
  /** Printed forms of the distinct aggregates seen, to bound window state. */
  readonly aggregates = new Set<string>();

  private node<E extends Expr>(e: E): E {
    if (++this.nodes > RULE_LIMITS.maxNodes) throw this.error(`rule is too large (at most ${RULE_LIMITS.maxNodes} expression nodes)`);
    return e;
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > RULE_LIMITS.maxDepth) throw this.error(`expression is nested too deeply (at most ${RULE_LIMITS.maxDepth} levels)`);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  /** A whole expression (the OR level). */
  expr(agg: AggregateRule): Expr {
    return this.nested(() => {
      let left = this.and(agg);
      while (this.isKeyword("OR")) {
        this.next();
        left = this.node({ kind: "binary", op: "OR", left, right: this.and(agg) });
      }
      return left;
    });
  }

  private and(agg: AggregateRule): Expr {
    let left = this.not(agg);
    while (this.isKeyword("AND")) {
      this.next();
      left = this.node({ kind: "binary", op: "AND", left, right: this.not(agg) });
    }
    return left;
  }

  private not(agg: AggregateRule): Expr {
    if (!this.isKeyword("NOT")) return this.comparison(agg);
    this.next();
    return this.nested(() => this.node({ kind: "unary", op: "NOT", arg: this.not(agg) }));
  }

  private comparison(agg: AggregateRule): Expr {
    const left = this.additive(agg);
    const e = this.comparisonTail(left, agg);
    if (e !== left) {
      const t = this.peek();
      if ((t.kind === "op" && t.text in COMPARE) || this.isKeyword("IS") || this.isKeyword("IN") || (this.isKeyword("NOT") && this.isKeyword("IN", this.peek(1)))) {
        throw this.error(`comparisons do not chain; combine them with AND or use parentheses`);
      }
    }
    return e;
  }

  private comparisonTail(left: Expr, agg: AggregateRule): Expr {
    const t = this.peek();
    if (t.kind === "op" && t.text in COMPARE) {
      this.next();
      return this.node({ kind: "binary", op: COMPARE[t.text], left, right: this.additive(agg) });
    }
    if (this.isKeyword("IS")) {
      this.next();
      const negated = this.isKeyword("NOT");
      if (negated) this.next();
      this.expectKeyword("NULL");
      return this.node({ kind: "isNull", arg: left, negated });
    }
    const negated = this.isKeyword("NOT") && this.isKeyword("IN", this.peek(1));
    if (negated || this.isKeyword("IN")) {
      if (negated) this.next();
      this.next();
      this.expectOp("(", "( after IN");
      const list = [this.expr(agg)];
      while (this.isOp(",")) {
        this.next();
        list.push(this.expr(agg));
      }
      this.expectOp(")", ") or , in the IN list");
      return this.node({ kind: "in", arg: left, list, negated });
    }
    return left;
  }

  private additive(agg: AggregateRule): Expr {
    let left = this.multiplicative(agg);
    while (this.isOp("+") || this.isOp("-")) {
      const op = this.next().text as BinaryOp;
      left = this.node({ kind: "binary", op, left, right: this.multiplicative(agg) });
    }
    return left;
  }

  private multiplicative(agg: AggregateRule): Expr {
    let left = this.unary(agg);
    while (this.isOp("*") || this.isOp("/") || this.isOp("%")) {
      const op = this.next().text as BinaryOp;
      left = this.node({ kind: "binary", op, left, right: this.unary(agg) });
    }
    return left;
  }

  private unary(agg: AggregateRule): Expr {
    if (!this.isOp("-")) return this.primary(agg);
    this.next();
    const t = this.peek();
    // `-5` is the literal -5, so printed negative numbers read back unchanged
    if (t.kind === "number") return this.node({ kind: "literal", value: -Number(this.next().value) });
    return this.nested(() => this.node({ kind: "unary", op: "-", arg: this.unary(agg) }));
  }

  private primary(agg: AggregateRule): Expr {
    const t = this.peek();
    switch (t.kind) {
      case "number":
      case "string":
        this.next();
        return this.node({ kind: "literal", value: t.value });
      case "duration":
        throw this.error(`a duration such as ${t.text} is only allowed after FOR, OVER or PER`);
      case "quoted":
        return this.path();
      case "word": {
        const upper = t.text.toUpperCase();
        if (upper === "TRUE" || upper === "FALSE" || upper === "NULL") {
          this.next();
          return this.node({ kind: "literal", value: upper === "NULL" ? null : upper === "TRUE" });
        }
        if (RESERVED.has(upper)) throw this.error(`expected an expression, found ${t.text}`);
        return this.isOp("(", this.peek(1)) ? this.call(agg) : this.path();
      }
      case "op":
        if (t.text === "(") {
          this.next();
          const e = this.expr(agg);
          this.expectOp(")", ")");
          return e;
        }
        throw this.error(`expected an expression, found ${t.text}`);
      case "eof":
        throw this.error("expected an expression, found end of input");
    }
  }

  private path(): Expr {
    const path: PathSegment[] = [String(this.next().value)];
    for (;;) {
      if (this.isOp(".")) {
        this.next();
        const t = this.peek();
        if (t.kind !== "word" && t.kind !== "quoted") throw this.error(`expected a field name after ., found ${this.describe(t)}`);
        path.push(String(this.next().value));
      } else if (this.isOp("[")) {
        this.next();
        const t = this.peek();
        if (t.kind === "string" || t.kind === "quoted") path.push(String(t.value));
        else if (t.kind === "number" && Number.isSafeInteger(t.value)) path.push(Number(t.value));
        else throw this.error(`expected a string or a non-negative whole number in [ ], found ${this.describe(t)}`);
        this.next();
        this.expectOp("]", "]");
      } else return this.node({ kind: "path", path });
    }
  }

  private call(agg: AggregateRule): Expr {
    const nameTok = this.next();
    const lower = nameTok.text.toLowerCase();
    const upper = nameTok.text.toUpperCase();
    const scalar = SCALAR_FUNCTIONS.find((f) => f.toLowerCase() === lower);
    const aggregate = AGGREGATE_FUNCTIONS.find((f) => f === upper);
    if (!scalar && !aggregate) {
      throw this.error(`unknown function ${nameTok.text} (known: ${[...SCALAR_FUNCTIONS, ...AGGREGATE_FUNCTIONS].join(", ")})`, nameTok);
    }
    this.expectOp("(");
    // MIN and MAX are both: an aggregate when OVER follows, a scalar otherwise, so their
    // arguments are read as a scalar's and checked for nesting once OVER decides
    const args: Expr[] = [];
    let star = false;
    if (upper === "COUNT" && this.isOp("*") && this.isOp(")", this.peek(1))) {
      this.next();
      star = true;
    } else if (!this.isOp(")")) {
      const inner = scalar ? agg : `inside ${upper}`;
      args.push(this.expr(inner));
      while (this.isOp(",")) {
        this.next();
        args.push(this.expr(inner));
      }
    }
    this.expectOp(")", args.length ? ") or ," : ")");
    if (aggregate && (this.isKeyword("OVER") || !scalar)) return this.aggregate(aggregate, star ? null : args, nameTok, agg);
    const fn = scalar as ScalarFunction;
    const [lo, hi] = ARITY[fn];
    if (args.length < lo || args.length > hi) {
      const want = lo === hi ? `${lo}` : hi > 2 ? `at least ${lo}` : `${lo} or ${hi}`;
      throw this.error(`${fn}() takes ${want} argument${lo === 1 && hi === 1 ? "" : "s"}, got ${args.length}`, nameTok);
    }
    return this.node({ kind: "call", name: fn, args });
  }

  private aggregate(fn: AggregateFunction, args: Expr[] | null, nameTok: Token, agg: AggregateRule): Expr {
    if (agg !== null) throw this.error(`window aggregates are not allowed ${agg}`, nameTok);
    if (args?.some(containsAggregate)) throw this.error("window aggregates cannot be nested", nameTok);
    if (args !== null && args.length !== 1) throw this.error(`${fn}() takes 1 argument${fn === "COUNT" ? " or *" : ""}, got ${args.length}`, nameTok);
    if (!this.isKeyword("OVER")) throw this.error(`${fn} needs a window: ${fn}(${fn === "COUNT" ? "*" : "x"}) OVER 5m`);
    this.next();
    const window = this.duration("OVER", RULE_LIMITS.maxWindow);
    const e = this.node<Expr>({ kind: "aggregate", fn, arg: args === null ? null : args[0], window });
    this.aggregates.add(printExpr(e));
    if (this.aggregates.size > RULE_LIMITS.maxAggregates) throw this.error(`too many window aggregates (at most ${RULE_LIMITS.maxAggregates})`, nameTok);
    return e;
  }
}

/** True when `e` has a window aggregate anywhere inside. */
export function containsAggregate(e: Expr): boolean {
  switch (e.kind) {
    case "aggregate":
      return true;
    case "literal":
    case "path":
      return false;
    case "unary":
    case "isNull":
      return containsAggregate(e.arg);
    case "binary":
      return containsAggregate(e.left) || containsAggregate(e.right);
    case "in":
      return containsAggregate(e.arg) || e.list.some(containsAggregate);
    case "call":
      return e.args.some(containsAggregate);
  }
}
