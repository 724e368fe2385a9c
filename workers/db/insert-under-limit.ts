/**
 * An INSERT that holds a limit on a table's rows under concurrent requests. Counting first and
 * inserting after is two statements, and requests interleave between them (100 parallel creates
 * from 8 webhooks made 106); here the count is the insert's own WHERE, one statement, and D1
 * runs statements one at a time.
 */
import { getTableColumns, sql, type InferInsertModel } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";

/**
 * Inserts `values` (every column, defaults included: a SELECT has no DEFAULT) into `table` only
 * while it holds fewer than `limit` rows; a row whose key is taken is not inserted either (ON
 * CONFLICT DO NOTHING), so a caller tells the two apart by looking for the key.
 * @returns the inserted row, or undefined when the table was full or the key taken
 * @example const row = await insertUnderLimit(db(env), webhooks, values, 100); if (!row) throw conflict
 */
export async function insertUnderLimit<T extends SQLiteTable>(d: Db, table: T, values: Required<InferInsertModel<T>>, limit: number): Promise<T["$inferSelect"] | undefined> {
  // Drizzle's INSERT … SELECT names every column in the table's order: select them in that order,
  // each through its own column's encoder (JSON, booleans), as .values() would.
  const given = values as Record<string, unknown>;
  const row = sql.join(
    Object.entries(getTableColumns(table)).map(([key, column]) => sql.param(given[key] ?? null, column)),
    sql`, `,
  );
  // (Drizzle cannot see through a generic table that .returning() is there: hence the type.)
  const rows = (await d
    .insert(table)
    .select(sql`SELECT ${row} WHERE (SELECT COUNT(*) FROM ${table}) < ${limit}`)
    .onConflictDoNothing()
    .returning()
    .all()) as T["$inferSelect"][];
  return rows[0];
}
