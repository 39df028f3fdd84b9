import { availableParallelism } from "node:os";
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
    // Tests that start the gateway run it compiled, built once per run (test/support/compiled-gateway.global-setup.ts).
    globalSetup: ["./test/support/compiled-gateway.global-setup.ts"],
    pool: "forks",
    // Vitest's default is one worker per core but one: a single worker on these two-core machines. Most
    // integration tests wait on processes, ports and timers, so two files at a time finish sooner
    // (574 s against 630-684 s for the whole suite here) without changing any result.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
