import { defineConfig } from "vitest/config";

/** Layer 3: a real `wrangler dev` (started by the global setup) and real clients only. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
