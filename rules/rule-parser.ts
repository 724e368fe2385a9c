/**
 * The clause grammar of a rule:
 *
 *   SELECT item [, item]* FROM source
 *     [WHERE expr] [WHEN expr UNTIL expr] [HAVING expr] [FOR duration] [LIMIT n PER duration]
 *
 * Clauses come in this order; the checks that need context (aggregates only where a window can
 * be read, FOR or HAVING not mixed with WHEN, unique output names) are made here, where the
 * offending token is at hand, so every error carries its line and column.
 */
import { RULE_SOURCES } from "./rule-ast";
import type { RuleAst, RuleSource, SelectItem } from "./rule-ast";
import { RuleSyntaxError } from "./rule-error";
import { tokenize } from "./rule-lexer";
import { RULE_LIMITS } from "./rule-limits";
import { ExprParser } from "./rule-parse-expr";
import { implicitName } from "./rule-print";

const CLAUSES = ["WHERE", "WHEN", "HAVING", "FOR", "LIMIT"];

/**
 * Parses rule text into its syntax tree. Throws {@link RuleSyntaxError} (and nothing else) for
 * any text that is not a valid rule.
 * @example parseRule("SELECT temp FROM telemetry WHERE temp > 30 FOR 5m").for // 300000
 */
export function parseRule(text: string): RuleAst {
  if (typeof text !== "string") throw new RuleSyntaxError("rule text must be a string", 1, 1, "");
  if (text.length > RULE_LIMITS.maxLength) {
    const before = text.slice(0, RULE_LIMITS.maxLength);
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    throw new RuleSyntaxError(`rule is too long (at most ${RULE_LIMITS.maxLength} characters)`, line, column, text[RULE_LIMITS.maxLength]);
  }
  const p = new ExprParser(tokenize(text));
  p.expectKeyword("SELECT");
  const select = selectList(p);
  p.expectKeyword("FROM");
  const from = source(p);
  const ast: RuleAst = { select, from, where: null, when: null, having: null, for: null, limit: null };
  if (p.isKeyword("WHERE")) {
    p.next();
    ast.where = p.expr("in WHERE (WHERE picks events; put conditions on windows in HAVING)");
  }
  if (p.isKeyword("WHEN")) {
    p.next();
    const when = p.expr(null);
    p.expectKeyword("UNTIL");
    ast.when = { when, until: p.expr(null) };
  }
  if (p.isKeyword("HAVING")) {
    if (ast.when) throw p.error("HAVING cannot be combined with WHEN ... UNTIL (put the condition in WHEN)");
    p.next();
    ast.having = p.expr(null);
  }
  if (p.isKeyword("FOR")) {
    if (ast.when) throw p.error("FOR cannot be combined with WHEN ... UNTIL");
    p.next();
    ast.for = p.duration("FOR", RULE_LIMITS.maxFor);
  }
  if (p.isKeyword("LIMIT")) {
    p.next();
    const t = p.peek();
    if (t.kind !== "number" || !Number.isInteger(t.value) || Number(t.value) < 1 || Number(t.value) > RULE_LIMITS.maxLimitCount) {
      throw p.error(`expected a whole number from 1 to ${RULE_LIMITS.maxLimitCount} after LIMIT, found ${p.describe(t)}`);
    }
    p.next();
    p.expectKeyword("PER");
    ast.limit = { count: Number(t.value), per: p.duration("PER", RULE_LIMITS.maxLimitPer) };
  }
  const t = p.peek();
  if (t.kind !== "eof") {
    const clause = CLAUSES.find((c) => p.isKeyword(c, t));
    if (clause) throw p.error(`${clause} is out of place: clauses go in the order WHERE, WHEN ... UNTIL, HAVING, FOR, LIMIT ... PER`);
    throw p.error(`expected the end of the rule, found ${t.text}`);
  }
  return ast;
}

function selectList(p: ExprParser): SelectItem[] {
  const items: SelectItem[] = [];
  const names = new Set<string>();
  for (;;) {
    const start = p.peek();
    if (items.length === RULE_LIMITS.maxSelectItems) throw p.error(`too many SELECT items (at most ${RULE_LIMITS.maxSelectItems})`);
    if (p.isOp("*")) {
      if (items.some((i) => i.kind === "star")) throw p.error("* appears twice in SELECT");
      p.next();
      items.push({ kind: "star" });
    } else {
      const expr = p.expr(null);
      let alias: string | null = null;
      if (p.isKeyword("AS")) {
        p.next();
        alias = p.name("a name after AS");
      }
      const name = alias ?? implicitName(expr);
      if (names.has(name)) throw p.error(`two SELECT items are named ${JSON.stringify(name)}; rename one with AS`, start);
      names.add(name);
      items.push({ kind: "expr", expr, alias });
    }
    if (!p.isOp(",")) return items;
    p.next();
  }
}

function source(p: ExprParser): RuleSource {
  const start = p.peek();
  let name = p.isKeyword("FROM", start) || start.kind !== "word" ? "" : p.next().text;
  while (name && p.isOp(".") && p.peek(1).kind === "word") {
    p.next();
    name += `.${p.next().text}`;
  }
  const found = RULE_SOURCES.find((s) => s === name.toLowerCase());
  if (!found) throw p.error(`unknown source ${name || p.describe(start)} (sources: ${RULE_SOURCES.join(", ")})`, start);
  return found;
}
