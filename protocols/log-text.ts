/**
 * Strings that came from a client (topic names, client ids, shadow names) made safe for a log
 * line: control characters (newlines, ANSI escapes) are escaped and the length is capped, so a
 * device cannot forge log lines or flood the log.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * @example logText("a\nb\u001b[31m") // "a\\nb\\u001b[31m"
 */
export function logText(value: unknown, max = 200): string {
  const text = typeof value === "string" ? value : String(value);
  const cut = text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
  return JSON.stringify(cut).slice(1, -1).replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
