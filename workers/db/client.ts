import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import type { Env } from "../../durable-objects/env";
import * as schema from "./schema";

/** The registry database, typed by the schema. */
export type Db = DrizzleD1Database<typeof schema>;

/** Drizzle over the `DB` binding (cheap: it wraps the binding, holds no connection). */
export function db(env: Env): Db {
  return drizzle(env.DB, { schema });
}
