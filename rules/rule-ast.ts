/**
 * The syntax tree of a rule, exactly what the parser produces and the printer consumes: no source
 * positions and no resolved names, so `parseRule(printRule(ast))` can equal `ast` and the tree is
 * plain JSON. Resolution (aliases, window slots) happens later, in `rule-compile.ts`.
 */

/** The event streams a rule can read, as written after FROM. */
export const RULE_SOURCES = ["telemetry", "shadow.reported", "shadow.desired", "presence", "command.result"] as const;
/** One of {@link RULE_SOURCES}. */
export type RuleSource = (typeof RULE_SOURCES)[number];

/** Scalar functions, in their canonical spelling (names are case-insensitive in the source). */
export const SCALAR_FUNCTIONS = ["abs", "round", "min", "max", "deviceId", "timestamp", "topic"] as const;
/** One of {@link SCALAR_FUNCTIONS}. */
export type ScalarFunction = (typeof SCALAR_FUNCTIONS)[number];

/** Window aggregates (`COUNT(*) OVER 1m`), canonical upper case. */
export const AGGREGATE_FUNCTIONS = ["COUNT", "SUM", "AVG", "MIN", "MAX"] as const;
/** One of {@link AGGREGATE_FUNCTIONS}. */
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

/** Binary operators; `==` is read as `=` and `<>` as `!=`. */
export type BinaryOp = "OR" | "AND" | "=" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%";

/** A path segment: a field name, or an array index (`a[0]`). The first segment is always a name. */
export type PathSegment = string | number;

/** An expression node. */
export type Expr =
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "path"; path: PathSegment[] }
  | { kind: "unary"; op: "-" | "NOT"; arg: Expr }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr }
  | { kind: "isNull"; arg: Expr; negated: boolean }
  | { kind: "in"; arg: Expr; list: Expr[]; negated: boolean }
  | { kind: "call"; name: ScalarFunction; args: Expr[] }
  /** `arg: null` is `COUNT(*)`; `window` is in milliseconds. */
  | { kind: "aggregate"; fn: AggregateFunction; arg: Expr | null; window: number };

/** One entry of the SELECT list. */
export type SelectItem = { kind: "star" } | { kind: "expr"; expr: Expr; alias: string | null };

/** A whole rule. Durations (`for`, `limit.per`) are milliseconds. */
export interface RuleAst {
  select: SelectItem[];
  from: RuleSource;
  where: Expr | null;
  /** Hysteresis: fire when `when` becomes true, re-arm once `until` is true. */
  when: { when: Expr; until: Expr } | null;
  having: Expr | null;
  for: number | null;
  limit: { count: number; per: number } | null;
}
