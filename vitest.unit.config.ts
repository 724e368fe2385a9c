import { defineConfig } from "vitest/config";

/** Layer 1: pure logic (codecs, shadow, rules, topics), plain Node, no platform imports. */
export default defineConfig({
  test: {
    include: ["console/**/*.test.ts", "protocols/**/*.test.ts", "shadow/**/*.test.ts", "rules/**/*.test.ts", "cli/**/*.test.ts", "sdk/**/*.test.ts", "durable-objects/**/*.test.ts", "wasm/**/*.test.ts", "workers/**/*.test.ts", "bench/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/*.runtime.test.ts"],
    testTimeout: 60_000,
  },
});
