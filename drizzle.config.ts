import { defineConfig } from "drizzle-kit";

/** drizzle-kit writes flat SQL files that `wrangler d1 migrations apply` and `readD1Migrations` read. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./workers/db/schema.ts",
  out: "./migrations",
});
