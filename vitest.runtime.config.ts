import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";

/** Layer 2: routes, D1 queries and objects inside workerd, with the project's wrangler.toml. */
export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // JWT_SECRET: tokens are signed only with one. AUTH_FAILURE_BURST: the authorization
          // matrix sends hundreds of bad credentials on purpose from one (absent) address. WEBHOOK_*:
          // a webhook is disabled after 3 failures in a row, at once, and retries wait an hour.
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token-test-admin-token",
            JWT_SECRET: "test-jwt-secret-at-least-32-characters-long",
            AUTH_FAILURE_BURST: "1000000",
            WEBHOOK_DISABLE_AFTER_SECONDS: "0",
            WEBHOOK_DISABLE_MIN_FAILURES: "3",
            WEBHOOK_RETRY_FIRST_SECONDS: "3600",
            // the X.509 tests stand in for Cloudflare's edge, which sets cf.tlsClientAuth
            MTLS_CLIENT_AUTH: "true",
          },
        },
      }),
    ],
    resolve: {
      // mqtt-packet → bl → readable-stream redefines a util symbol that nodejs_compat already
      // defines when loaded through Vite's CJS shim; workerd's own node:stream serves bl the same.
      alias: { "readable-stream": fileURLToPath(new URL("./test/runtime/readable-stream.cjs", import.meta.url)) },
    },
    test: {
      include: ["test/runtime/**/*.test.ts"],
      setupFiles: ["test/runtime/apply-migrations.ts"],
      testTimeout: 30_000,
    },
  };
});
