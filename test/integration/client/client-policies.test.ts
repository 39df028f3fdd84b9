import { describe, expect, it } from "vitest";
import { actionForErrorCode, backoffDelayMs, createCredentialsProvider, TokenManager } from "../../../examples/client/src/index.js";
import { holdCredentials } from "../../../examples/client/src/held-credentials.js";
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

describe("the example client's credentials provider, without a gateway", () => {
  const fragment = (secondsRemaining: number) => ({
    accessKeyId: "ASIAEXAMPLEEXAMPLE01", secretAccessKey: "secret", sessionToken: "session", expiration: "2026-12-01T07:00:00.000Z",
    secondsRemaining, roleArn: "arn:aws:iam::123456789012:role/R", assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/R/idc-token-gateway",
  });

  it("renews the skew before the end of the remaining life it was told, counted from receipt on the caller's clock", () => {
    const held = holdCredentials(fragment(3600), "context", 1_000_000, 300_000);
    expect(held).toEqual({
      credentials: { accessKeyId: "ASIAEXAMPLEEXAMPLE01", secretAccessKey: "secret", sessionToken: "session", expiration: new Date("2026-12-01T07:00:00.000Z") },
      identityContext: "context",
      renewAt: 1_000_000 + 3_300_000,
      expiresAt: 1_000_000 + 3_600_000,
    });
  });

  it("never renews sooner than half the remaining life, however long the skew", () => {
    expect(holdCredentials(fragment(600), "context", 0, 900_000).renewAt).toBe(300_000);
    expect(holdCredentials(fragment(-5), "context", 0, 300_000)).toMatchObject({ renewAt: 0, expiresAt: 0 });
  });

  it("rejects options that break its contract, restating it with the bad value", () => {
    const identityContext = () => "context";
    expect(() => createCredentialsProvider({ endpoint: "localhost:4000/graphql", identityContext })).toThrow(
      `createCredentialsProvider: endpoint must be the gateway's http(s) GraphQL URL, got "localhost:4000/graphql"`,
    );
    expect(() => createCredentialsProvider({ endpoint: "http://localhost:4000/graphql", identityContext: "context" as unknown as () => string })).toThrow(
      "createCredentialsProvider: identityContext must be a function returning the current token set's awsAdditionalDetails.identityContext, got string",
    );
    expect(() => createCredentialsProvider({ endpoint: "http://localhost:4000/graphql", identityContext, refreshSkewMs: 1.5 })).toThrow(
      "createCredentialsProvider: refreshSkewMs must be an integer >= 0, got 1.5",
    );
    expect(() => createCredentialsProvider({ endpoint: "http://localhost:4000/graphql", identityContext, maxAttempts: 0 })).toThrow(
      "createCredentialsProvider: maxAttempts must be an integer >= 1, got 0",
    );
  });
});
