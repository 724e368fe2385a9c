/**
 * The SQLite tables inside one DeviceObject: shadows (with history), telemetry (with the latest
 * value per key) and small metadata. Synchronous, as the Durable Object SQL API is; the
 * object's output gate holds every reply until these writes are durable.
 */
import type { ShadowDocument, ShadowRecord } from "../../shadow/shadow";
import type { JsonObject } from "../../protocols/json-value";
import { keyExtras, keyExtrasText, parseExtras, rowExtrasText, type KeyExtras, type TelemetryExtras } from "./telemetry-meta";
import { rowPlaceholders } from "../shared/placeholders";
import { lastSequence } from "../shared/sqlite-sequence";
import { aggregateBuckets, type BucketQuery, type KeyBuckets } from "./telemetry-buckets";
import { addColumnIfMissing } from "../shared/add-column";
import { takePage } from "../shared/page";

/** One telemetry sample as stored: when, the fields sent, and (from SenML) units, sums and value types. */
export interface TelemetryRow extends TelemetryExtras {
  ts: number;
  data: JsonObject;
}

/** The latest value of one telemetry key (with its unit, sum and type when its row had them). */
export interface LatestValue extends KeyExtras {
  ts: number;
  value: unknown;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS shadows (name TEXT PRIMARY KEY, record TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS shadow_history (name TEXT NOT NULL, version INTEGER NOT NULL, ts INTEGER NOT NULL,
     document TEXT NOT NULL, PRIMARY KEY (name, version))`,
  `CREATE TABLE IF NOT EXISTS telemetry (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, data TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS telemetry_ts ON telemetry (ts)`,
  `CREATE TABLE IF NOT EXISTS telemetry_latest (key TEXT PRIMARY KEY, ts INTEGER NOT NULL, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

/** Rows per INSERT statement (3 bound values each, well under SQLite's limit). */
const INSERT_CHUNK = 32;
/** Latest values per upsert: four parameters each, under the limit of 100. */
const LATEST_CHUNK = 24;

/** Rows between two folds of the latest values (and two retention passes). */
const FOLD_EVERY = 64;
/** The meta key holding the newest telemetry row folded into `telemetry_latest`. */
const LATEST_THROUGH = "telemetryLatestThrough";

/** A key's newest value in some rows, and the row that carried it. */
interface Newest {
  ts: number;
  value: unknown;
  row: TelemetryRow;
}

/** The rows after the fold through `through`: how many the table gained, and their newest value per key. */
interface Unfolded {
  through: number;
  rows: number;
  latest: Map<string, Newest>;
}

/** Typed access to a device's tables. */
export class DeviceStore {
  /** The rows since the last fold as this object stored them (null: read them from the table). */
  private unfolded: Unfolded | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** Creates the tables (idempotent; also after a wipe), and adds the columns later versions need. */
  migrate(): void {
    for (const stmt of SCHEMA) this.sql.exec(stmt);
    // `meta`: SenML units, sums and value types (telemetry-meta.ts); nullable, so old rows stay valid.
    for (const table of ["telemetry", "telemetry_latest"]) addColumnIfMissing(this.sql, table, "meta", "TEXT");
    // Tables from before the latest values were folded were kept current on every insert.
    if (this.getMeta<number>(LATEST_THROUGH) === null) this.setMeta(LATEST_THROUGH, this.telemetrySeq());
  }

  /** A small JSON value kept under `key`. */
  getMeta<T>(key: string): T | null {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  setMeta(key: string, value: unknown): void {
    this.sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, JSON.stringify(value));
  }

  /** The stored record of a shadow (live or tombstone), or null. */
  getShadow(name: string): ShadowRecord | null {
    const row = this.sql.exec<{ record: string }>(`SELECT record FROM shadows WHERE name = ?`, name).toArray()[0];
    return row ? (JSON.parse(row.record) as ShadowRecord) : null;
  }

  /** Stores a shadow record, and a live document in the history (keeping the last `keep`). */
  putShadow(name: string, record: ShadowRecord, keep: number): void {
    this.sql.exec(`INSERT INTO shadows (name, record) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET record = excluded.record`, name, JSON.stringify(record));
    if ("deleted" in record) return;
    const doc: ShadowDocument = record;
    this.sql.exec(`INSERT OR REPLACE INTO shadow_history (name, version, ts, document) VALUES (?, ?, ?, ?)`, name, doc.version, doc.timestamp, JSON.stringify(doc));
    this.sql.exec(`DELETE FROM shadow_history WHERE name = ? AND version <= ?`, name, doc.version - keep);
  }

  /** Names of the live shadows ("" is the classic one). */
  shadowNames(): string[] {
    return this.sql
      .exec<{ name: string; record: string }>(`SELECT name, record FROM shadows ORDER BY name`)
      .toArray()
      .filter((r) => !(JSON.parse(r.record) as { deleted?: boolean }).deleted)
      .map((r) => r.name);
  }

  /** Past accepted versions of a shadow, oldest first, from `fromVersion`. */
  /** Past versions from `fromVersion` on, up to `limit` and the page budget (takePage), and whether more remain. */
  history(name: string, fromVersion: number, limit: number): { rows: ShadowDocument[]; more: boolean } {
    const cursor = this.sql.exec<{ document: string }>(`SELECT document FROM shadow_history WHERE name = ? AND version >= ? ORDER BY version LIMIT ?`, name, fromVersion, limit + 1);
    const page = takePage(cursor, limit, (r) => r.document.length);
    return { rows: page.rows.map((r) => JSON.parse(r.document) as ShadowDocument), more: page.more };
  }

  /**
   * Stores samples, and every {@link FOLD_EVERY} rows folds them into the latest value per key and
   * applies retention (reads apply it too: {@link retain}). A batch is one INSERT: per-batch writes and the pages they dirty are what
   * a commit costs, so the latest values of the rows since the last fold are folded in when read
   * ({@link latest}).
   *
   * The rows since the last fold are also kept here, as their newest value per key, so a fold
   * does not read back and parse 64 rows it just wrote, nor a batch read the sequence. That copy
   * is trusted only if it counts exactly the rows the table gained since the fold: a rolled-back
   * batch leaves it counting rows the table does not have (AUTOINCREMENT rolls back too), and the
   * fold then reads the rows from the table instead. A failed INSERT drops the copy.
   */
  insertTelemetry(rows: TelemetryRow[], maxRows: number, maxAgeMs: number, now: number): void {
    if (rows.length === 0) return;
    const unfolded = this.unfolded ?? this.loadUnfolded();
    this.unfolded = null;
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      const params: (string | number | null)[] = [];
      for (const row of chunk) params.push(row.ts, JSON.stringify(row.data), rowExtrasText(row));
      this.sql.exec(`INSERT INTO telemetry (ts, data, meta) VALUES ${rowPlaceholders(chunk.length, 3)}`, ...params);
    }
    for (const row of rows) addNewest(unfolded.latest, row);
    unfolded.rows += rows.length;
    this.unfolded = unfolded;
    if (unfolded.rows >= FOLD_EVERY) this.compact(maxRows, maxAgeMs, now);
  }

  /**
   * Applies retention before a read, when a row is past it (`maxRows` newest rows, none older
   * than `maxAgeMs`): between folds, and on a device that stopped sending, rows past it were
   * still read. Two index lookups when nothing is due.
   */
  retain(maxRows: number, maxAgeMs: number, now: number): void {
    const oldest = this.sql.exec<{ seq: number | null; ts: number | null }>(`SELECT min(seq) AS seq, min(ts) AS ts FROM telemetry`).one();
    if (oldest.seq === null || oldest.ts === null) return;
    if (oldest.seq <= this.telemetrySeq() - maxRows || oldest.ts < now - maxAgeMs) this.compact(maxRows, maxAgeMs, now);
  }

  /** Folds the rows since the last fold into the latest values, then deletes the rows past retention. */
  private compact(maxRows: number, maxAgeMs: number, now: number): void {
    const unfolded = this.unfolded ?? this.loadUnfolded();
    this.unfolded = null;
    const seq = this.telemetrySeq();
    // Fold before pruning, so a value outlives the rows that carried it.
    this.foldLatest(seq, unfolded.through + unfolded.rows === seq ? unfolded.latest : newestPerKey(this.rowsAfter(this.latestThrough())));
    this.sql.exec(`DELETE FROM telemetry WHERE seq <= ? - ?`, seq, maxRows);
    this.sql.exec(`DELETE FROM telemetry WHERE ts < ?`, now - maxAgeMs);
    this.unfolded = { through: seq, rows: 0, latest: new Map() };
  }

  /** The rows after the last fold, from the table. */
  private loadUnfolded(): Unfolded {
    const through = this.latestThrough();
    return { through, rows: this.telemetrySeq() - through, latest: newestPerKey(this.rowsAfter(through)) };
  }

  /** The sequence number of the newest telemetry row ever stored (0 for none). */
  private telemetrySeq(): number {
    return lastSequence(this.sql, "telemetry");
  }

  /** Up to which row `telemetry_latest` is folded (written by {@link migrate}). */
  private latestThrough(): number {
    return this.getMeta<number>(LATEST_THROUGH) ?? 0;
  }

  /** Writes `latest` (the newest value of every key in the rows after the last fold, up to `seq`). */
  private foldLatest(seq: number, latest: Map<string, Newest>): void {
    const keys = [...latest];
    for (let i = 0; i < keys.length; i += LATEST_CHUNK) {
      const chunk = keys.slice(i, i + LATEST_CHUNK);
      const params: (string | number | null)[] = [];
      for (const [key, { ts, value, row }] of chunk) params.push(key, ts, JSON.stringify(value), keyExtrasText(row, key));
      this.sql.exec(
        `INSERT INTO telemetry_latest (key, ts, value, meta) VALUES ${rowPlaceholders(chunk.length, 4)}
         ON CONFLICT (key) DO UPDATE SET ts = excluded.ts, value = excluded.value, meta = excluded.meta WHERE excluded.ts >= telemetry_latest.ts`,
        ...params,
      );
    }
    this.setMeta(LATEST_THROUGH, seq);
  }

  /** Stored rows after sequence number `seq`, oldest first. */
  private rowsAfter(seq: number): TelemetryRow[] {
    return this.sql
      .exec<{ ts: number; data: string; meta: string | null }>(`SELECT ts, data, meta FROM telemetry WHERE seq > ? ORDER BY seq`, seq)
      .toArray()
      .map((r) => ({ ts: r.ts, data: JSON.parse(r.data) as JsonObject, ...parseExtras<TelemetryExtras>(r.meta) }));
  }

  /**
   * Samples with `from <= ts < to`, in (ts, seq) order, after the cursor position `after`: up to
   * `limit` and the page budget (takePage), and whether more remain.
   */
  queryTelemetry(from: number, to: number, limit: number, after: { ts: number; seq: number } | null): { rows: ({ seq: number } & TelemetryRow)[]; more: boolean } {
    const a = after ?? { ts: Number.MIN_SAFE_INTEGER, seq: 0 };
    const cursor = this.sql.exec<{ seq: number; ts: number; data: string; meta: string | null }>(
      `SELECT seq, ts, data, meta FROM telemetry WHERE ts >= ? AND ts < ? AND (ts > ? OR (ts = ? AND seq > ?)) ORDER BY ts, seq LIMIT ?`,
      from,
      to,
      a.ts,
      a.ts,
      a.seq,
      limit + 1,
    );
    const page = takePage(cursor, limit, (r) => r.data.length + (r.meta?.length ?? 0));
    return { rows: page.rows.map((r) => ({ seq: r.seq, ts: r.ts, data: JSON.parse(r.data) as JsonObject, ...parseExtras<TelemetryExtras>(r.meta) })), more: page.more };
  }

  /** Stored samples aggregated per key in time buckets (telemetry-buckets.ts). */
  buckets(q: BucketQuery): KeyBuckets[] {
    return aggregateBuckets(this.sql, q);
  }

  /** The latest value of every telemetry key: the folded values, and the rows stored since. */
  latest(): Record<string, LatestValue> {
    const rows = this.sql.exec<{ key: string; ts: number; value: string; meta: string | null }>(`SELECT key, ts, value, meta FROM telemetry_latest`).toArray();
    const out = new Map<string, LatestValue>(rows.map((r) => [r.key, { ts: r.ts, value: JSON.parse(r.value) as unknown, ...parseExtras<KeyExtras>(r.meta) }]));
    for (const [key, { ts, value, row }] of newestPerKey(this.rowsAfter(this.latestThrough()))) {
      const folded = out.get(key);
      if (folded && folded.ts > ts) continue;
      out.set(key, { ts, value, ...keyExtras(row, key) });
    }
    // fromEntries defines own properties, so a key named "__proto__" stays data.
    return Object.fromEntries([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

/** The newest value of each key in `rows` (oldest first; of equal times, the later row wins). */
function newestPerKey(rows: TelemetryRow[]): Map<string, Newest> {
  const latest = new Map<string, Newest>();
  for (const row of rows) addNewest(latest, row);
  return latest;
}

/** Adds a row (newer than those already added) to the newest value per key. */
function addNewest(latest: Map<string, Newest>, row: TelemetryRow): void {
  for (const key of Object.keys(row.data)) {
    const seen = latest.get(key);
    if (!seen) latest.set(key, { ts: row.ts, value: row.data[key], row });
    else if (row.ts >= seen.ts) {
      seen.ts = row.ts;
      seen.value = row.data[key];
      seen.row = row;
    }
  }
}
