/**
 * SQL parameter lists for multi-row statements, made once per shape: every group-committed batch
 * builds one, and statements (not rows) are what the object's SQLite pays for.
 */
const made = new Map<number, string>();

/** `(?, ?, ?), (?, ?, ?), …`: `n` rows of `width` parameters. */
export function rowPlaceholders(n: number, width: number): string {
  const shape = n * 1000 + width;
  let text = made.get(shape);
  if (text === undefined) {
    const row = `(${Array.from({ length: width }, () => "?").join(", ")})`;
    text = Array.from({ length: n }, () => row).join(", ");
    made.set(shape, text);
  }
  return text;
}

/** `?, ?, …`: `n` parameters, for `IN (…)`. */
export function listPlaceholders(n: number): string {
  return rowPlaceholders(1, n).slice(1, -1);
}
