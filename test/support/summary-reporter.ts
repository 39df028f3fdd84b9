import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints the closing line CI reads: `N passed, N failed, N skipped`.
 * Vitest's own summary is not one of the formats CI understands, so we add
 * this one line after it. Skipped tests are reported separately, never as passed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const testModule of testModules) {
      for (const testCase of testModule.children.allTests()) {
        const state = testCase.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A file that failed to load has no test cases but is a failure all the same.
      if (testModule.state() === "failed" && [...testModule.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
