import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Set by `.ci/run`: every skipped test counts as failed and is named, so a CI run proves it ran the
 * Redis- and chromium-backed tests instead of quietly skipping them on a machine that lacks one.
 */
export const FAIL_ON_SKIPPED_TESTS_VARIABLE = "FAIL_ON_SKIPPED_TESTS";

/**
 * In the title of a test that checks something the CI machine cannot have (Docker Compose: no
 * container engine there) and that `npm test` skips where it is missing: listed with its reason
 * like every skip, but not a CI failure. Redis and chromium never qualify: CI has both.
 */
export const OPTIONAL_SKIP_MARKER = "[optional here, skipped:";

/**
 * Prints the closing line CI reads: `N passed, N failed, N skipped`.
 * Vitest's own summary is not one of the formats CI understands, so we add
 * this one line after it. Skipped tests are reported separately, never as passed,
 * and listed by name (their titles carry the reason: see test-dependencies.ts).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const skipsFail = process.env[FAIL_ON_SKIPPED_TESTS_VARIABLE] === "1";
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const testModule of testModules) {
      for (const testCase of testModule.children.allTests()) {
        const result = testCase.result();
        if (result.state === "passed") passed++;
        else if (result.state === "failed") failed++;
        else {
          const note = result.state === "skipped" && result.note ? ` [${result.note}]` : "";
          skipped.push(`${relative(process.cwd(), testModule.moduleId)} > ${testCase.fullName}${note}`);
        }
      }
      // A file that failed to load has no test cases but is a failure all the same.
      if (testModule.state() === "failed" && [...testModule.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    if (skipped.length > 0) {
      const heading = skipsFail
        ? `${skipped.length} test(s) did not run; ${FAIL_ON_SKIPPED_TESTS_VARIABLE}=1 counts each as failed unless marked optional here:`
        : `${skipped.length} test(s) skipped:`;
      process.stdout.write(`\n${heading}\n${skipped.map((name) => `  - ${name}\n`).join("")}`);
    }
    const required = skipped.filter((name) => !name.includes(OPTIONAL_SKIP_MARKER));
    if (skipsFail && required.length > 0) {
      failed += required.length;
      process.exitCode = 1;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipsFail ? skipped.length - required.length : skipped.length} skipped\n`);
  }
}
