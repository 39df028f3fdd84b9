import { describe, expect, it } from "vitest";
import { actionForErrorCode, backoffDelayMs, TokenManager } from "../../../examples/client/src/index.js";
import { winsElection } from "../../../examples/client/src/tab-channel.js";

describe("the example client's refresh-failure policy", () => {
  it("signs out on INVALID_GRANT, retries throttling and upstream faults, fails on everything else", () => {
    const codes = ["INVALID_GRANT", "RATE_LIMITED", "SLOW_DOWN", "UPSTREAM_SERVER_ERROR", "UPSTREAM_UNAVAILABLE", "NETWORK_ERROR", "BAD_USER_INPUT", "INVALID_CLIENT", "INTERNAL_SERVER_ERROR"];
    expect(Object.fromEntries(codes.map((code) => [code, actionForErrorCode(code)]))).toEqual({
      INVALID_GRANT: "sign-out",
      RATE_LIMITED: "retry",
      SLOW_DOWN: "retry",
      UPSTREAM_SERVER_ERROR: "retry",
      UPSTREAM_UNAVAILABLE: "retry",
      NETWORK_ERROR: "retry",
      BAD_USER_INPUT: "fail",
      INVALID_CLIENT: "fail",
      INTERNAL_SERVER_ERROR: "fail",
    });
  });

  it("backs off exponentially between half the ceiling and the ceiling, capped at maxDelayMs", () => {
    const options = { initialDelayMs: 1000, maxDelayMs: 5000 };
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, options, () => 0))).toEqual([500, 1000, 2000, 2500, 2500]);
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, options, () => 1))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it("elects the tab with the smallest id, so every tab reaches the same verdict", () => {
    expect(winsElection("b", ["c", "d"])).toBe(true);
    expect(winsElection("b", ["a", "c"])).toBe(false);
    expect(winsElection("b", [])).toBe(true);
  });

  it("rejects options that break its contract, restating it with the bad value", () => {
    expect(() => new TokenManager({ endpoint: "localhost:4000/graphql" })).toThrow(
      `TokenManager: endpoint must be the gateway's http(s) GraphQL URL, got "localhost:4000/graphql"`,
    );
    expect(() => new TokenManager({ endpoint: "http://localhost:4000/graphql", refreshSkewMs: -1, channelName: null })).toThrow(
      "TokenManager: refreshSkewMs must be an integer >= 0, got -1",
    );
    expect(() => new TokenManager({ endpoint: "http://localhost:4000/graphql", maxAttempts: 0, channelName: null })).toThrow(
      "TokenManager: maxAttempts must be an integer >= 1, got 0",
    );
  });
});
