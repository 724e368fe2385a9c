/** The newest sequence number an AUTOINCREMENT table ever handed out (0 for none; rolled back with its transaction). */
export function lastSequence(sql: SqlStorage, table: string): number {
  return sql.exec<{ seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = ?`, table).toArray()[0]?.seq ?? 0;
}
