/**
 * Object storage schemas grow in code: a table made by an older version gets a column a newer
 * one needs, once (SQLite has no ADD COLUMN IF NOT EXISTS).
 */

/** Adds `column` to `table` with `definition` (type, constraints, default) unless it is there. */
export function addColumnIfMissing(sql: SqlStorage, table: string, column: string, definition: string): void {
  if (sql.exec(`SELECT * FROM ${table} LIMIT 0`).columnNames.includes(column)) return;
  sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}
