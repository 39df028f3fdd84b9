/**
 * The gateway is down (restarting, its circuit breaker open) while the held access token is inside
 * the refresh skew but still valid for a while: getAccessToken() serves it, as the credentials
 * provider serves held credentials, instead of failing every API call of the app meanwhile. Once it
 * has expired, the failure is the answer. Fake timers; a fake gateway that always fails.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TokenManager, type FetchLike } from "../../../examples/client/src/index.js";
import { gatewayTokenSet } from "./client-fakes.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function failingGateway(code: string) {
  let requests = 0;
  const fetchImpl: FetchLike = async () => {
    requests += 1;
    return { status: 200, text: async () => JSON.stringify({ errors: [{ message: "down", extensions: { code } }], data: null }) };
  };
  return { fetch: fetchImpl, requests: () => requests };
}

describe("TokenManager.getAccessToken() while refreshes fail", () => {
  it("serves the held access token while it is still valid, and rejects once it has expired", async () => {
    const gateway = failingGateway("UPSTREAM_UNAVAILABLE");
    const tokens = new TokenManager({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch, channelName: null, locks: null, maxAttempts: 1 });
    tokens.setTokens(gatewayTokenSet(Date.now() - 3_570_000, "held")); // 30 s left: inside the 60 s skew

    expect(await tokens.getAccessToken()).toBe("access-held");
    expect(gateway.requests()).toBeGreaterThanOrEqual(1);
    expect(tokens.state.status).toBe("error");

    await vi.advanceTimersByTimeAsync(31_000);
    await expect(tokens.getAccessToken()).rejects.toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    tokens.close();
  });

  it("does not serve it after a final failure (INVALID_GRANT signs out)", async () => {
    const gateway = failingGateway("INVALID_GRANT");
    const tokens = new TokenManager({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch, channelName: null, locks: null });
    tokens.setTokens(gatewayTokenSet(Date.now() - 3_570_000, "held"));
    await expect(tokens.getAccessToken()).rejects.toMatchObject({ code: "INVALID_GRANT" });
    expect(tokens.state).toEqual({ status: "signed-out", reason: "invalid-grant" });
    tokens.close();
  });
});
