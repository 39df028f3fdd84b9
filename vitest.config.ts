import { defineConfig } from "vitest/config";

export default defineConfig({
  // Vite would load graphql's ESM build (index.mjs) while type-graphql and Apollo load the CJS build,
  // giving two graphql realms whose instanceof checks fail. Pin the one Node itself uses.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real processes on ephemeral ports; give them time, not luck.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
