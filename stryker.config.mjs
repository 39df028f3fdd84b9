// Mutation testing of the gateway's core: `npm run mutate` (README, "Mutation testing").
// One folder: `npm run mutate -- --mutate 'src/tokens/**/*.ts,!src/**/*.types.ts'`.
// Where the reports go; per-folder runs side by side set MUTATION_REPORT_DIR=reports/mutation/<folder>.
const reportDir = process.env.MUTATION_REPORT_DIR ?? "reports/mutation";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  // Only the in-process tests: a gateway spawned as a child never runs the active mutant (see that file).
  vitest: { configFile: "vitest.mutation.config.ts" },
  // Each mutant runs only the tests that reached it during the first, instrumented run.
  coverageAnalysis: "perTest",
  mutate: [
    "src/tokens/**/*.ts",
    "src/coordination/**/*.ts",
    "src/credentials/**/*.ts",
    "src/store/**/*.ts",
    "src/upstream/**/*.ts",
    "src/logging/**/*.ts",
    "src/server/limits/**/*.ts",
    // Type declarations only: nothing to mutate that a test could observe.
    "!src/**/*.types.ts",
  ],
  // A static mutant (a module-level constant) is only seen by reloading every test file for it: 18% of
  // the mutants of src/tokens took an estimated 74% of the time. Left out of the everyday run; a full
  // run sets MUTATION_INCLUDE_STATIC=1 (README, "Mutation testing"; Stryker's CLI has no flag to turn it off).
  ignoreStatic: process.env.MUTATION_INCLUDE_STATIC !== "1",
  // The machine has two cores, shared; one test runner each.
  concurrency: 2,
  // A shared machine stalls now and then: a mutant is a timeout only when it is far past the normal time.
  timeoutMS: 20_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 15,
  tempDirName: ".stryker-tmp",
  // `npm run mutate -- --incremental` re-tests only mutants whose code or covering tests changed since the last run.
  incrementalFile: `${reportDir}/stryker-incremental.json`,
  // Build output, reports and the browser bundle are never read by the mutation test set.
  ignorePatterns: ["dist", "coverage", "reports", "test-results", "bench/results", ".stryker-tmp"],
  reporters: ["html", "json", "clear-text", "progress"],
  htmlReporter: { fileName: `${reportDir}/mutation.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false },
  thresholds: { high: 90, low: 80, break: null },
};
