import { describe, expect, it } from "vitest";
import { createStoreFailureLog } from "../../../src/coordination/store-failure-log.js";
import { recordingStoreLogger } from "../mutation-kills/store-doubles.js";

/** The store-failure log without its metrics counter (the counter is optional: tools and tests build it without one). */
describe("createStoreFailureLog without a counter", () => {
  it("still logs each cause once", () => {
    const logger = recordingStoreLogger();
    const log = createStoreFailureLog(logger);
    for (let i = 0; i < 2; i++) log.report("response cache write", new Error("redis down"));
    expect(logger.lines).toEqual([
      { level: "error", fields: { step: "response cache write", reason: "redis down" }, message: "store failure: the exchange went on without this step (logged once per cause)" },
    ]);
  });
});
