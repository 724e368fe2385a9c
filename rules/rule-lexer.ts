/**
 * Splits rule text into tokens, each with its 1-based line and column. Words are returned as
 * written; whether a word is a keyword is the parser's call, because after a `.` in a path any
 * word (even `for`) is a field name. Durations (`5m`) are single tokens, so `5 m` is not one.
 */
import { RuleSyntaxError } from "./rule-error";

/** Token kinds. `word` is a bare identifier or keyword; `quoted` is a `"double quoted"` name. */
export type TokenKind = "word" | "quoted" | "string" | "number" | "duration" | "op" | "eof";

/** One token: `text` is the source text, `value` the decoded string or number. */
export interface Token {
  kind: TokenKind;
  text: string;
  value: string | number;
  line: number;
  column: number;
}

const OPS = ["<=", ">=", "<>", "!=", "==", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", ".", "[", "]"];
const isDigit = (c: string) => c >= "0" && c <= "9";
const isWordStart = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
const isWordChar = (c: string) => isWordStart(c) || isDigit(c);
const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Tokenizes `text`; the last token is always `eof`. Throws {@link RuleSyntaxError} on a character
 * no token can start with, an unterminated string or an invalid number.
 * @example tokenize("a >= 5m").map((t) => t.kind) // ["word", "op", "duration", "eof"]
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (message: string, at: number, token: string): never => {
    throw new RuleSyntaxError(message, line, at - lineStart + 1, token);
  };
  /** Reads a quoted run ending at an undoubled `quote`; returns the decoded text and the end. */
  const quoted = (start: number, quote: string, what: string): [string, number] => {
    let out = "";
    let j = start + 1;
    for (;;) {
      if (j >= text.length) return fail(`unterminated ${what}`, start, text.slice(start, start + 20));
      const c = text[j];
      if (c === quote) {
        if (text[j + 1] !== quote) return [out, j + 1];
        out += quote;
        j += 2;
      } else {
        out += c;
        j++;
      }
    }
  };

  while (i < text.length) {
    const c = text[i];
    if (isSpace(c)) {
      if (c === "\n") {
        line++;
        lineStart = i + 1;
      }
      i++;
      continue;
    }
    if (c === "-" && text[i + 1] === "-") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    const push = (kind: TokenKind, value: string | number, end: number): void => {
      tokens.push({ kind, text: text.slice(start, end), value, line, column: start - lineStart + 1 });
      // strings and quoted names may span lines; later positions must count those lines
      for (let j = start; j < end; j++) {
        if (text[j] === "\n") {
          line++;
          lineStart = j + 1;
        }
      }
      i = end;
    };
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < text.length && isWordChar(text[j])) j++;
      push("word", text.slice(i, j), j);
    } else if (isDigit(c)) {
      let j = i;
      while (j < text.length && isDigit(text[j])) j++;
      if (text[j] === "." && isDigit(text[j + 1] ?? "")) for (j++; j < text.length && isDigit(text[j]); ) j++;
      if ((text[j] === "e" || text[j] === "E") && /^[eE][+-]?\d/.test(text.slice(j, j + 3))) {
        j += text[j + 1] === "+" || text[j + 1] === "-" ? 2 : 1;
        while (j < text.length && isDigit(text[j])) j++;
      }
      let end = j;
      while (end < text.length && isWordChar(text[end])) end++;
      const word = text.slice(i, end);
      if (end > j) {
        if (!DURATION.test(word)) fail(`invalid number or duration ${word} (durations are whole numbers with ms, s, m, h or d)`, i, word);
        push("duration", word, end);
      } else {
        const n = Number(word);
        if (!Number.isFinite(n)) fail(`number ${word} is out of range`, i, word);
        push("number", n, end);
      }
    } else if (c === "'") {
      const [value, end] = quoted(i, "'", "string");
      push("string", value, end);
    } else if (c === '"') {
      const [value, end] = quoted(i, '"', "quoted name");
      if (value === "") fail("a quoted name cannot be empty", i, '""');
      push("quoted", value, end);
    } else {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (!op) {
        const cp = String.fromCodePoint(text.codePointAt(i) ?? 0);
        fail(`unexpected character ${JSON.stringify(cp)}`, i, cp);
      } else push("op", op, i + op.length);
    }
  }
  tokens.push({ kind: "eof", text: "", value: "", line, column: i - lineStart + 1 });
  return tokens;
}
