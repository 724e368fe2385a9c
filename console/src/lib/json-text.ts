/**
 * Parsing JSON a person typed, with the position of a mistake as line and column (the
 * browser's own message names only a character offset, and not in every engine).
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../../protocols/json-value";

/** A parsed value, or where and why parsing failed (1-based line and column). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; line?: number; column?: number };

/** 1-based line and column of character `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * Offset of the first character where `text` stops being JSON (RFC 8259), found by a small
 * scanner: engines word JSON.parse errors differently and do not all give a position.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string) => {
    for (const ch of word) if (text[i++] !== ch) (i--, fail());
  };
  const str = () => {
    i++; // the opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) (i += k, fail());
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x") || i >= text.length) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === "" || m[0] === "-") fail();
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail();
      }
    }
    if (c === '"') return str();
    if (c === "t") return lit("true");
    if (c === "f") return lit("false");
    if (c === "n") return lit("null");
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return num();
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (at) {
    if (typeof at === "number") return Math.min(at, text.length);
    throw at;
  }
  return -1;
}

/**
 * Parses any JSON value; an empty text is an error unless `emptyAs` is given.
 * @example parseJson('{"a":1,}') // { ok: false, message: "…", line: 1, column: 8 }
 */
export function parseJson(text: string, emptyAs?: JsonValue): Parsed<JsonValue> {
  if (text.trim() === "" && emptyAs !== undefined) return { ok: true, value: emptyAs };
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const message = offset >= text.length ? "The JSON ends too early" : offset >= 0 ? `Unexpected ${JSON.stringify(text[offset])}` : err instanceof Error ? err.message : String(err);
    return offset < 0 ? { ok: false, message } : { ok: false, message, ...lineColumn(text, offset) };
  }
}

/** Parses JSON that must be an object (a shadow section, a rule's test input). */
export function parseJsonObject(text: string, what = "The value"): Parsed<JsonObject> {
  const r = parseJson(text);
  if (!r.ok) return r;
  if (!isJsonObject(r.value)) return { ok: false, message: `${what} must be a JSON object ({…})`, line: 1, column: 1 };
  return { ok: true, value: r.value };
}

/** Where a parse failed, as people read it: "line 3, column 7: …". */
export function describeError(p: { message: string; line?: number; column?: number }): string {
  return p.line === undefined ? p.message : `Line ${p.line}, column ${p.column}: ${p.message}`;
}
