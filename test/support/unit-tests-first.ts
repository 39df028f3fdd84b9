import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Runs unit tests before integration tests, each group by path. Under Stryker a mutant stops at its
 * first failing test (bail), and unit files load in a fraction of the time an in-process gateway
 * does, so most killed mutants never pay for the heavy files. Vitest's own order (slowest first)
 * is right for a whole-suite run and wrong for this one.
 */
export class UnitTestsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const weight = (file: TestSpecification) => (file.moduleId.includes("/test/unit/") ? 0 : 1);
    return [...files].sort((a, b) => weight(a) - weight(b) || a.moduleId.localeCompare(b.moduleId));
  }
}
