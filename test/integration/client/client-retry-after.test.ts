/**
 * The gateway says how long to wait: `extensions.retryAfterSeconds` on RATE_LIMITED (its rate
 * limits) and UPSTREAM_UNAVAILABLE (its open circuit breaker, up to CIRCUIT_BREAKER_COOLDOWN_MS).
 * A retry before then is refused again, so a client that ignores it spends its attempts against a
 * closed door and gives up while the gateway is about to answer. Fake timers; a fake gateway that
 * refuses every request for 20 seconds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createCredentialsProvider, createSessionClient, TokenManager, type FetchLike, type SessionFetchLike } from "../../../examples/client/src/index.js";
import { gatewayTokenSet } from "./client-fakes.js";

const RETRY_AFTER_SECONDS = 20;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Refuses every request with `code` and retryAfterSeconds; counts them. */
function refusingGateway(code: string) {
  let requests = 0;
  const fetchImpl: FetchLike = async () => {
    requests += 1;
    const body = { errors: [{ message: "try later", extensions: { code, retryable: true, retryAfterSeconds: RETRY_AFTER_SECONDS } }], data: null };
    return { status: code === "RATE_LIMITED" ? 429 : 200, text: async () => JSON.stringify(body) };
  };
  return { fetch: fetchImpl, requests: () => requests };
}

describe("retryAfterSeconds from the gateway", () => {
  for (const code of ["RATE_LIMITED", "UPSTREAM_UNAVAILABLE"]) {
    it(`TokenManager: a refresh refused with ${code} is not retried before retryAfterSeconds`, async () => {
      const gateway = refusingGateway(code);
      const tokens = new TokenManager({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch, channelName: null, locks: null });
      tokens.setTokens(gatewayTokenSet(Date.now(), "first"));
      tokens.refresh().catch(() => undefined);
      await vi.advanceTimersByTimeAsync(RETRY_AFTER_SECONDS * 1000 - 1);
      expect(gateway.requests()).toBe(1);
      await vi.advanceTimersByTimeAsync(2);
      expect(gateway.requests()).toBe(2);
      tokens.close();
    });
  }

  it("session client: a refreshSession refused with RATE_LIMITED is not retried before retryAfterSeconds", async () => {
    const gateway = refusingGateway("RATE_LIMITED");
    const session = createSessionClient({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch as SessionFetchLike, channelName: null, locks: null });
    session.refresh().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_SECONDS * 1000 - 1);
    expect(gateway.requests()).toBe(1);
    session.close();
  });

  it("credentials provider: a renewal refused with RATE_LIMITED is not retried before retryAfterSeconds", async () => {
    const gateway = refusingGateway("RATE_LIMITED");
    const provider = createCredentialsProvider({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch, identityContext: () => "context" });
    const first = provider().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_SECONDS * 1000 - 1);
    expect(gateway.requests()).toBe(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(gateway.requests()).toBe(2);
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_SECONDS * 1000);
    expect(await first).toMatchObject({ code: "RATE_LIMITED" });
    expect(gateway.requests()).toBe(3);
  });
});
