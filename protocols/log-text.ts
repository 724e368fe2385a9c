/**
 * Strings from devices and clients (topic names, client ids, shadow names, paths, error
 * messages that quote input) go into logs only through `logText`, so a newline or an ANSI
 * escape in a topic cannot forge a log line or repaint an operator's terminal.
 */

/** Control characters (C0, DEL, C1), line and paragraph separators, bidi overrides, and the backslash that marks escapes. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g;

const escape = (ch: string): string => {
  if (ch === "\\") return "\\\\";
  const code = ch.charCodeAt(0);
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (ch === "\t") return "\\t";
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
};

/**
 * A value made safe for one log line: control characters escaped, cut to `max` characters.
 * @example logText("a\nb\u001b[31m") // "a\\nb\\x1b[31m"
 * @example logText("x".repeat(300), 10) // "xxxxxxxxxx…(+290)"
 */
export function logText(value: unknown, max = 200): string {
  const s = typeof value === "string" ? value : String(value);
  const cut = s.length > max ? `${s.slice(0, max)}…(+${s.length - max})` : s;
  return cut.replace(UNSAFE, escape);
}

/**
 * The message of a caught error, safe for a log line.
 * @example console.error(`routing failed: ${logError(err)}`)
 */
export function logError(err: unknown): string {
  return logText(err instanceof Error ? err.message : err, 500);
}
