/**
 * The gateway's log: one line per event, as text (`time level event key=value …`) or as JSON
 * lines. Whatever a peer or the hub supplied (client ids, close reasons, diagnostics) is
 * escaped so that it cannot forge a line, move the cursor or reorder text on a terminal.
 */

/** Values a log line carries. */
export type Fields = Record<string, string | number | boolean | null | undefined>;

/** Where the gateway writes its lines. */
export interface Logger {
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
}

const hex4 = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * A string made safe for one log line: quoted, with quotes, backslashes, control characters
 * and everything outside printable ASCII escaped (bidi overrides included), cut at `max`.
 *
 * @example
 * escapeLogText("lamp\n1") // → "\"lamp\\n1\""
 */
export function escapeLogText(s: string, max = 200): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(cut).replace(/[\u007f-\uffff]/g, hex4);
}

const BARE = /^[A-Za-z0-9._:/@[\]+-]+$/;

/** One line, without the newline. */
export function formatLine(time: Date, level: "info" | "warn", event: string, fields: Fields, json: boolean): string {
  const present = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (json) {
    const line = JSON.stringify({ time: time.toISOString(), level, event, ...Object.fromEntries(present) });
    return line.replace(/[\u007f-\uffff]/g, hex4);
  }
  const parts = present.map(([k, v]) => `${k}=${typeof v === "string" && !BARE.test(v) ? escapeLogText(v) : String(v)}`);
  return [time.toISOString(), level, event, ...parts].join(" ");
}

/** A logger writing whole lines to `write` (stdout by default). */
export function createLogger(opts: { json: boolean; write?: (line: string) => void; now?: () => Date }): Logger {
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  const emit = (level: "info" | "warn") => (event: string, fields: Fields = {}) => write(formatLine(now(), level, event, fields, opts.json));
  return { info: emit("info"), warn: emit("warn") };
}
