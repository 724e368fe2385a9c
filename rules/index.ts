/**
 * The rules language of Umbra: a small SQL-like language (AWS IoT / EMQX style) with stateful
 * clauses — FOR, WHEN ... UNTIL, windows, LIMIT — parsed and evaluated by pure functions with
 * plain-JSON state. The device object stores a rule's state and calls `evaluate` per event and
 * `tick` at `wakeAt`; see rules/README.md for the language and the contract.
 */
export { compileRule, compileAst, type CompiledRule, type TriggerMode } from "./rule-compile";
export { evaluate, tick, type Firing, type RuleContext, type RuleEvent, type RuleResult } from "./rule-evaluate";
export { initialState, isRuleState, type RuleState } from "./rule-state";
export { parseRule } from "./rule-parser";
export { printRule, printExpr } from "./rule-print";
export { RuleSyntaxError, type RuleErrorInfo } from "./rule-error";
export { RULE_LIMITS, durationMs, formatDuration } from "./rule-limits";
export { RULE_SOURCES, type RuleAst, type RuleSource, type Expr, type SelectItem } from "./rule-ast";
