/**
 * What commands print on stdout: with `--json` one compact JSON document per result (for
 * scripts and `jq`), otherwise text for people. Argument parsers for JSON values live here too.
 */
import { InvalidArgumentError } from "commander";
import type { GlobalOptions } from "../command";

/** Prints a result: JSON with `--json`, else `human(value)` (default: indented JSON). */
export function print<T>(globals: GlobalOptions, value: T, human?: (value: T) => string): void {
  const text = globals.json ? JSON.stringify(value) : human ? human(value) : JSON.stringify(value, null, 2);
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Rows as aligned columns, with a header line. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A commander parser for an option or argument holding JSON. */
export function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`not JSON: ${value.length > 60 ? `${value.slice(0, 60)}…` : value}`);
  }
}

/** A commander parser for a JSON object. */
export function parseJsonObject(value: string): Record<string, unknown> {
  const v = parseJson(value);
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidArgumentError("must be a JSON object");
  return v as Record<string, unknown>;
}

/** A commander parser for repeatable `key=value` options, collected into an object. */
export function collectKeyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

/** A commander parser for repeatable options, collected into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
