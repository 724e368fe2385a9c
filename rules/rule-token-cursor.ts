/**
 * A cursor over a rule's tokens with the small reads every grammar rule needs: look ahead,
 * match a keyword or operator, read a duration or a name, and build an error pointing at a token.
 */
import { RuleSyntaxError } from "./rule-error";
import { durationMs, formatDuration } from "./rule-limits";
import type { Token } from "./rule-lexer";
import { RESERVED } from "./rule-print";

/** Token cursor; keywords match case-insensitively, and only as bare words. */
export class TokenCursor {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.pos++;
    return t;
  }

  /** An error pointing at `token` (the current one by default). */
  error(message: string, token: Token = this.peek()): RuleSyntaxError {
    return new RuleSyntaxError(message, token.line, token.column, token.kind === "eof" ? "end of input" : token.text);
  }

  /** How a token is named in messages. */
  describe(t: Token): string {
    return t.kind === "eof" ? "end of input" : t.text;
  }

  isKeyword(keyword: string, t: Token = this.peek()): boolean {
    return t.kind === "word" && t.text.toUpperCase() === keyword;
  }

  isOp(op: string, t: Token = this.peek()): boolean {
    return t.kind === "op" && t.text === op;
  }

  expectKeyword(keyword: string): Token {
    if (!this.isKeyword(keyword)) throw this.error(`expected ${keyword}, found ${this.describe(this.peek())}`);
    return this.next();
  }

  expectOp(op: string, what = op): Token {
    if (!this.isOp(op)) throw this.error(`expected ${what}, found ${this.describe(this.peek())}`);
    return this.next();
  }

  /** Reads a duration token within [1 ms, max]. */
  duration(after: string, max: number): number {
    const t = this.peek();
    if (t.kind !== "duration") throw this.error(`expected a duration after ${after} (such as 500ms, 30s, 5m, 2h, 1d), found ${this.describe(t)}`);
    const ms = durationMs(t.text);
    if (ms === null || ms < 1 || ms > max) throw this.error(`${after} ${t.text} is out of range (1ms to ${formatDuration(max)})`, t);
    this.next();
    return ms;
  }

  /** A bare (non-reserved) word or a quoted name; `what` names it in the error. */
  name(what: string): string {
    const t = this.peek();
    if (t.kind === "quoted" || (t.kind === "word" && !RESERVED.has(t.text.toUpperCase()))) return String(this.next().value);
    throw this.error(`expected ${what}, found ${this.describe(t)}`);
  }
}
