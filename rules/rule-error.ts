/**
 * The one error a rule's text can cause. Every problem found while reading a rule — a bad
 * character, an unexpected token, an unknown function, a duration out of range, a rule too big —
 * is this error, with a 1-based line and column and the offending token, so the REST layer can
 * answer 400 pointing at the spot.
 */

/** Where a token starts (1-based, columns count UTF-16 code units as editors mostly do). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** The plain-JSON shape of a {@link RuleSyntaxError}, as `compileRule` returns it. */
export interface RuleErrorInfo {
  message: string;
  line: number;
  column: number;
  /** The offending token's text, or `"end of input"`. */
  token: string;
}

/**
 * A syntax or meaning error in a rule's text.
 * @example
 * try { parseRule("SELECT FROM telemetry") } catch (e) {
 *   if (e instanceof RuleSyntaxError) e.toJSON() // { message: "expected an expression, found FROM", line: 1, column: 8, token: "FROM" }
 * }
 */
export class RuleSyntaxError extends Error {
  override readonly name = "RuleSyntaxError";
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly token: string,
  ) {
    super(message);
  }

  /** The error as plain JSON (what `compileRule` returns and a problem+json body can carry). */
  toJSON(): RuleErrorInfo {
    return { message: this.message, line: this.line, column: this.column, token: this.token };
  }
}
