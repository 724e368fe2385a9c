/**
 * Prints a rule's syntax tree back to text with as few parentheses as the grammar allows. The
 * output parses to the same tree (a property test checks it), so printed text is the canonical
 * form of a rule: the compiler fingerprints it, and unnamed SELECT items are named by it.
 */
import type { BinaryOp, Expr, PathSegment, RuleAst, SelectItem } from "./rule-ast";
import { formatDuration } from "./rule-limits";

/** Words that cannot be bare names (a name spelled like one is printed `"quoted"`). */
export const RESERVED = new Set([
  "SELECT", "FROM", "WHERE", "WHEN", "UNTIL", "FOR", "HAVING", "LIMIT", "PER", "AS",
  "AND", "OR", "NOT", "IS", "NULL", "IN", "TRUE", "FALSE", "OVER",
]);

const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Binding strength: a child printed below its parent's need gets parentheses. */
const PREC = { or: 1, and: 2, not: 3, compare: 4, add: 5, mul: 6, unary: 7, primary: 8 } as const;

/** Precedence of a binary operator. */
export function binaryPrecedence(op: BinaryOp): number {
  switch (op) {
    case "OR":
      return PREC.or;
    case "AND":
      return PREC.and;
    case "=":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return PREC.compare;
    case "+":
    case "-":
      return PREC.add;
    case "*":
    case "/":
    case "%":
      return PREC.mul;
  }
}

function precedence(e: Expr): number {
  switch (e.kind) {
    case "binary":
      return binaryPrecedence(e.op);
    case "isNull":
    case "in":
      return PREC.compare;
    case "unary":
      return e.op === "NOT" ? PREC.not : PREC.unary;
    case "literal":
      return PREC.primary;
    case "path":
    case "call":
    case "aggregate":
      return PREC.primary;
  }
}

/** A name as a bare word when it can be one, else `"quoted"` with doubled quotes. */
export function printName(name: string): string {
  return BARE.test(name) && !RESERVED.has(name.toUpperCase()) ? name : `"${name.replace(/"/g, '""')}"`;
}

const printString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function printSegment(seg: PathSegment): string {
  if (typeof seg === "number") return `[${seg}]`;
  return BARE.test(seg) ? `.${seg}` : `[${printString(seg)}]`;
}

function printPath(path: PathSegment[]): string {
  const [first, ...rest] = path;
  return printName(String(first)) + rest.map(printSegment).join("");
}

/** `child` printed, in parentheses when it binds looser than `min`. */
function operand(child: Expr, min: number): string {
  const text = printExpr(child);
  return precedence(child) < min ? `(${text})` : text;
}

/**
 * Prints one expression.
 * @example printExpr({ kind: "binary", op: "*", left: { kind: "path", path: ["a"] }, right: { kind: "literal", value: 2 } }) // "a * 2"
 */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case "literal":
      if (e.value === null) return "NULL";
      if (typeof e.value === "boolean") return e.value ? "TRUE" : "FALSE";
      if (typeof e.value === "string") return printString(e.value);
      return Object.is(e.value, -0) ? "-0" : String(e.value);
    case "path":
      return printPath(e.path);
    case "unary": {
      if (e.op === "NOT") return `NOT ${operand(e.arg, PREC.not)}`;
      // `-5` reads back as the literal -5, so a minus over a plain number keeps its parentheses;
      // a space keeps `- -x` from becoming a `--` comment.
      if (e.arg.kind === "literal" && typeof e.arg.value === "number" && !(e.arg.value < 0 || Object.is(e.arg.value, -0))) {
        return `-(${printExpr(e.arg)})`;
      }
      const arg = operand(e.arg, PREC.unary);
      return arg.startsWith("-") ? `- ${arg}` : `-${arg}`;
    }
    case "binary": {
      const p = binaryPrecedence(e.op);
      // comparisons do not chain, so both sides of one must bind tighter
      const left = operand(e.left, p === PREC.compare ? p + 1 : p);
      return `${left} ${e.op} ${operand(e.right, p + 1)}`;
    }
    case "isNull":
      return `${operand(e.arg, PREC.compare + 1)} IS ${e.negated ? "NOT " : ""}NULL`;
    case "in":
      return `${operand(e.arg, PREC.compare + 1)} ${e.negated ? "NOT " : ""}IN (${e.list.map(printExpr).join(", ")})`;
    case "call":
      return `${e.name}(${e.args.map(printExpr).join(", ")})`;
    case "aggregate":
      return `${e.fn}(${e.arg === null ? "*" : printExpr(e.arg)}) OVER ${formatDuration(e.window)}`;
  }
}

/**
 * The output key of a SELECT item without `AS`: a path's last field name, else the item's text.
 * @example implicitName({ kind: "path", path: ["a", "b"] }) // "b"
 * @example implicitName({ kind: "call", name: "abs", args: [{ kind: "path", path: ["t"] }] }) // "abs(t)"
 */
export function implicitName(e: Expr): string {
  if (e.kind === "path") {
    const lastSeg = e.path[e.path.length - 1];
    if (typeof lastSeg === "string") return lastSeg;
  }
  return printExpr(e);
}

function printItem(item: SelectItem): string {
  if (item.kind === "star") return "*";
  return item.alias === null ? printExpr(item.expr) : `${printExpr(item.expr)} AS ${printName(item.alias)}`;
}

/**
 * Prints a whole rule on one line, clauses in their fixed order.
 * @example printRule(parseRule("select  temp from TELEMETRY where temp>30 for 300s")) // "SELECT temp FROM telemetry WHERE temp > 30 FOR 5m"
 */
export function printRule(ast: RuleAst): string {
  const parts = [`SELECT ${ast.select.map(printItem).join(", ")}`, `FROM ${ast.from}`];
  if (ast.where) parts.push(`WHERE ${printExpr(ast.where)}`);
  if (ast.when) parts.push(`WHEN ${printExpr(ast.when.when)} UNTIL ${printExpr(ast.when.until)}`);
  if (ast.having) parts.push(`HAVING ${printExpr(ast.having)}`);
  if (ast.for !== null) parts.push(`FOR ${formatDuration(ast.for)}`);
  if (ast.limit) parts.push(`LIMIT ${ast.limit.count} PER ${formatDuration(ast.limit.per)}`);
  return parts.join(" ");
}
