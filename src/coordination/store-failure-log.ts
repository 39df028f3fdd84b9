import type { Counter } from "prom-client";
import { describeError } from "../store/store-options.js";
import type { StoreLogger } from "../store/store.types.js";

/** Distinct causes remembered for "once per cause" logging; beyond it, every failure is still counted, not logged. */
const MAX_CAUSES = 64;

/**
 * A store step the exchange went on without (coordination, hand-off, bookkeeping): an operator
 * must know, but a failing store must not write one error line per request. Logged at error
 * once per distinct cause (the step and the error's first line), counted every time.
 */
export interface StoreFailureLog {
  report(step: string, error: unknown): void;
}

export function createStoreFailureLog(logger: StoreLogger, counter?: Pick<Counter<"cause">, "inc">): StoreFailureLog {
  const seen = new Set<string>();
  return {
    report(step, error) {
      counter?.inc({ cause: "error" });
      const reason = describeError(error);
      const cause = `${step}: ${reason}`;
      if (seen.has(cause) || seen.size >= MAX_CAUSES) return;
      seen.add(cause);
      logger.error({ step, reason }, "store failure: the exchange went on without this step (logged once per cause)");
    },
  };
}
