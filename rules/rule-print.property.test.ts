/**
 * The printer and the parser agree: every syntax tree the grammar can express prints to text that
 * parses back to the same tree (numbers compared with Object.is, so -0 stays -0), and printing is
 * a fixed point, so the printed text can serve as a rule's canonical form and fingerprint.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileAst, parseRule, printExpr, printRule } from "./index";
import { exprArb, ruleArb } from "./rule-arbitraries.test-support";

describe("parse(print(ast)) = ast", () => {
  it("for generated rules", () => {
    fc.assert(
      fc.property(ruleArb, (ast) => {
        const text = printRule(ast);
        expect(parseRule(text)).toEqual(ast);
        expect(printRule(parseRule(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("for generated WHERE expressions, one per rule", () => {
    fc.assert(
      fc.property(exprArb(false, 6), (e) => {
        const ast = parseRule(`SELECT * FROM telemetry WHERE ${printExpr(e)}`);
        expect(ast.where).toEqual(e);
      }),
      { numRuns: 2000 },
    );
  });

  it("every generated rule compiles, and equal text gives an equal fingerprint", () => {
    fc.assert(
      fc.property(ruleArb, (ast) => {
        const a = compileAst(ast);
        const b = compileAst(parseRule(printRule(ast)));
        expect(b.fingerprint).toBe(a.fingerprint);
        expect(a.text).toBe(printRule(ast));
      }),
      { numRuns: 500 },
    );
  });
});
