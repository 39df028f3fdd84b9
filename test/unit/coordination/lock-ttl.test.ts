import { describe, expect, it } from "vitest";
import { FLIGHT_LOCK_SLACK_MS, singleFlightLockTtlMs } from "../../../src/coordination/lock-ttl.js";

/** A flight lock outlives its upstream call's worst case: every attempt waiting out connect and answer, plus 1 s. */
describe("singleFlightLockTtlMs", () => {
  it("is maxAttempts × (timeout + connect timeout) + 1 s of slack", () => {
    expect(FLIGHT_LOCK_SLACK_MS).toBe(1000);
    expect(singleFlightLockTtlMs({ upstreamMaxAttempts: 3, upstreamTimeoutMs: 2000, upstreamConnectTimeoutMs: 500 })).toBe(8500);
    expect(singleFlightLockTtlMs({ upstreamMaxAttempts: 1, upstreamTimeoutMs: 700, upstreamConnectTimeoutMs: 300 })).toBe(2000);
  });
});
