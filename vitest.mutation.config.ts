import { configDefaults, defineConfig } from "vitest/config";
import { UnitTestsFirst } from "./test/support/unit-tests-first.js";
import baseConfig from "./vitest.config.js";

/**
 * The test set Stryker runs against each mutant (`npm run mutate`, see stryker.config.mjs).
 *
 * Only tests that run the core in this process: Stryker activates a mutant through a global in the
 * test worker, so a gateway spawned as a child process (`tsx src/main.ts`) never sees the mutant and
 * only adds minutes. Left out for that reason: every test that starts the gateway or the emulator CLI
 * as a process (test/support/gateway-process.ts users, scale, faults, process, readme), the browser
 * tests (chromium), fuzz tests (random inputs make a mutant's fate vary run to run), container and
 * CLI tests that read files or spawn tools, and the hardening tests of connection, rate and proxy
 * limits (src/server, src/ratelimit: outside the mutated folders; each starts a whole gateway, which
 * every token mutant they happen to reach would pay for). Real Redis stays in: the store is tested against it.
 * The secret-redaction tests (test/unit/logging) build the real logger in this process, so they are in.
 */
export const MUTATION_TESTS = [
  "test/unit/core/**/*.test.ts",
  "test/unit/logging/**/*.test.ts",
  "test/unit/store/**/*.test.ts",
  "test/unit/tokens/**/*.test.ts",
  "test/unit/coordination/**/*.test.ts",
  "test/unit/credentials/**/*.test.ts",
  "test/unit/server/**/*.test.ts",
  "test/unit/mutation-kills/**/*.test.ts",
  "test/integration/store/redis-store.test.ts",
  "test/integration/store/resilient-store.test.ts",
  "test/integration/store/resilient-carry-over.test.ts",
  "test/integration/store/single-flight.test.ts",
  "test/integration/store/store-contract.test.ts",
  "test/integration/store/redis-store-edges.test.ts",
  "test/integration/store/redis-store-faults.test.ts",
  "test/integration/upstream/token-service-emulator.test.ts",
  "test/integration/upstream/upstream-emulator.test.ts",
  "test/integration/upstream/sts-upstream-emulator.test.ts",
  "test/integration/upstream/sts-upstream-logs.test.ts",
  "test/integration/upstream/upstream-answers.test.ts",
  "test/integration/upstream/http-handler.test.ts",
  "test/integration/hardening/operation-limits.test.ts",
];

/**
 * The tests written for src/upstream: its unit tests and the SDK client over HTTP to the emulator.
 * Its mutants are also reached by every token-service test that makes an upstream call, and those are
 * slow (each exchange waits for the emulator, and a survivor re-runs all of them: ~25 s a mutant), so
 * `MUTATION_TEST_SET=upstream` measures the folder against these alone (README, "Mutation testing"):
 * a lower bound on what the whole set would kill, and a run of minutes instead of hours.
 */
export const UPSTREAM_TESTS = [
  "test/unit/core/upstream-options.test.ts",
  "test/unit/core/credential-health.test.ts",
  "test/unit/core/map-upstream-error.test.ts",
  "test/unit/core/map-sts-error.test.ts",
  "test/unit/core/upstream-edges.test.ts",
  "test/integration/upstream/upstream-emulator.test.ts",
  "test/integration/upstream/sts-upstream-emulator.test.ts",
  "test/integration/upstream/sts-upstream-logs.test.ts",
  "test/integration/upstream/upstream-answers.test.ts",
  "test/integration/upstream/http-handler.test.ts",
];

/**
 * The tests written for src/coordination (single-flight, its local twin, shared errors, the lock TTL,
 * the store-failure log): its unit tests, the deterministic races of the token service that force a
 * lock take-over or a late answer, the argument and shared-error kill tests, and single-flight over
 * the memory store and real Redis. `MUTATION_TEST_SET=coordination` measures the folder against these.
 */
export const COORDINATION_TESTS = [
  "test/unit/coordination/**/*.test.ts",
  "test/unit/tokens/local-single-flight.test.ts",
  "test/unit/tokens/races/**/*.test.ts",
  "test/unit/mutation-kills/reuse-guard.test.ts",
  "test/unit/mutation-kills/shared-error.test.ts",
  "test/unit/mutation-kills/single-flight-arguments.test.ts",
  "test/integration/store/single-flight.test.ts",
];

/**
 * The tests written for src/sessions: the service's unit tests (lifetimes, rotation and its races,
 * sign-out markers, budget) over the memory store. `MUTATION_TEST_SET=sessions` measures the folder.
 */
export const SESSIONS_TESTS = [
  "test/unit/sessions/**/*.test.ts",
];

/**
 * The tests written for the per-caller bounds: the rate limits (memory and Redis), the caller keys
 * and their IPv6 networks, connection caps and parsing turns. `MUTATION_TEST_SET=callers` measures
 * src/ratelimit and the caller-* and connection-limits files of src/server.
 */
export const CALLERS_TESTS = [
  "test/unit/ratelimit/**/*.test.ts",
  "test/unit/server/caller-*.test.ts",
  "test/unit/server/connection-limits.test.ts",
];

/**
 * The tests written for the safeguards of 2026-12-02/03 (the expanded-selections rule, graphql-jit's
 * compile-on-the-4th-execution, the lingering close and its byte budget, the caller turn's time budget,
 * the Cluster's command bound and the rate limiter's insurance while Redis is known down, the redaction of
 * caller values from coercion errors): the server's unit tests, the rate limiter's, the store's Redis
 * client tests, and operation limits over HTTP in this process. `MUTATION_TEST_SET=safeguards`.
 */
export const SAFEGUARDS_TESTS = [
  "test/unit/server/**/*.test.ts",
  "test/unit/ratelimit/**/*.test.ts",
  "test/unit/mutation-kills/redis-client-options.test.ts",
  "test/unit/mutation-kills/safeguards-*.test.ts",
  "test/integration/store/redis-store-faults.test.ts",
  "test/integration/hardening/operation-limits.test.ts",
];

/** `MUTATION_TEST_SET`: which tests run against each mutant (default `core`). */
const TEST_SETS: Record<string, string[]> = { core: MUTATION_TESTS, upstream: UPSTREAM_TESTS, coordination: COORDINATION_TESTS, sessions: SESSIONS_TESTS, callers: CALLERS_TESTS, safeguards: SAFEGUARDS_TESTS };
const testSet = process.env.MUTATION_TEST_SET ?? "core";
if (!Object.hasOwn(TEST_SETS, testSet)) {
  throw new Error(`MUTATION_TEST_SET must be one of ${Object.keys(TEST_SETS).join(", ")} (got ${JSON.stringify(testSet)})`);
}

/** Spawns a gateway process even though it sits in a folder listed above. */
const SPAWNS_A_PROCESS = ["test/unit/server/startup-banner.test.ts"];

// Spread, not mergeConfig: mergeConfig concatenates arrays, and this include list must replace the base one.
export default defineConfig({
  ...baseConfig,
  test: {
    ...baseConfig.test,
    include: TEST_SETS[testSet],
    exclude: [...configDefaults.exclude, ...SPAWNS_A_PROCESS],
    // No gateway process is started for a mutant (it would not see the mutant): nothing to compile.
    globalSetup: [],
    reporters: ["default"],
    sequence: { sequencer: UnitTestsFirst },
    // One worker keeps its loaded modules from mutant to mutant instead of importing Apollo, the AWS SDK
    // and ioredis again for every test file of every mutant: about twice as fast here. The whole set
    // passes this way (Stryker's first run checks that before it tests any mutant).
    isolate: false,
    maxWorkers: 1,
    // A few store and server tests still bound events by wall clock (windows of 150 ms, a 1 s log
    // budget); under Stryker's instrumentation on a busy machine one of them can miss, which stops
    // the whole run at its first pass. A failure must repeat three times to count: it may cost a
    // killed mutant two more runs of its failing test, never a false kill by one slow tick.
    retry: 2,
  },
});
