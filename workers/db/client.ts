import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import type { Env } from "../../durable-objects/env";
import * as schema from "./schema";

/** The registry database, typed by the schema. */
export type Db = DrizzleD1Database<typeof schema>;

/** One Drizzle per binding: building one walks the whole schema (measurable in CPU profiles of every request). */
const made = new WeakMap<D1Database, Db>();

/** Drizzle over the `DB` binding (it wraps the binding and holds no connection, so it can be kept). */
export function db(env: Env): Db {
  let d = made.get(env.DB);
  if (!d) {
    d = drizzle(env.DB, { schema });
    made.set(env.DB, d);
  }
  return d;
}
