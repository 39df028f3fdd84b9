/**
 * Answers that are not the gateway's GraphQL: what a load balancer or reverse proxy in front of it
 * sends while it restarts (an HTML 502/503/504, a 429 from a WAF), and bodies of an unexpected shape.
 * A transient proxy error is retried like a network failure, not taken for a final one; an
 * unexpected shape is a BAD_RESPONSE, never a TypeError and never a token set of `undefined`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { executeOperation, GatewayInfoDocument, GatewayRequestError, TokenManager, type TokenManagerState } from "../../../examples/client/src/index.js";
import { gatewayTokenSet, heldFetch } from "./client-fakes.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const endpoint = "http://gateway.test/graphql";

describe("answers that are not the gateway's GraphQL", () => {
  for (const status of [429, 502, 503, 504]) {
    it(`retries a refresh answered HTTP ${status} with an HTML page (a proxy in front of the gateway), and keeps the session`, async () => {
      const gateway = heldFetch();
      const tokens = new TokenManager({ endpoint, fetch: gateway.fetch, channelName: null, locks: null });
      tokens.setTokens(gatewayTokenSet(Date.now(), "first"));
      const refreshed = tokens.refresh();
      refreshed.catch(() => undefined);
      await vi.advanceTimersByTimeAsync(0);
      gateway.answer(`<html><body><h1>${status}</h1></body></html>`, status);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(gateway.operations).toEqual(["RefreshTokens", "RefreshTokens"]);
      gateway.answer({ data: { refreshToken: gatewayTokenSet(Date.now(), "second") } });
      expect((await refreshed).accessToken).toBe("access-second");
      expect(tokens.state.status).toBe("signed-in");
      tokens.close();
    });
  }

  for (const body of ["null", "42", `"text"`, `{"errors":{"message":"not a list"}}`, `{"errors":[null]}`]) {
    it(`rejects a body of ${body} with a BAD_RESPONSE GatewayRequestError`, async () => {
      const gateway = heldFetch();
      const answer = executeOperation({ endpoint, fetch: gateway.fetch }, GatewayInfoDocument, {}).catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(0);
      gateway.answer(body);
      const error = await answer;
      expect(error).toBeInstanceOf(GatewayRequestError);
      expect(error).toMatchObject({ code: "BAD_RESPONSE" });
    });
  }

  it("a refresh answered without a token set is a BAD_RESPONSE: no state ever holds `undefined` tokens", async () => {
    const gateway = heldFetch();
    const tokens = new TokenManager({ endpoint, fetch: gateway.fetch, channelName: null, locks: null, maxAttempts: 1 });
    const first = gatewayTokenSet(Date.now(), "first");
    tokens.setTokens(first);
    const states: TokenManagerState[] = [];
    tokens.subscribe((state) => states.push(state));
    const refreshed = tokens.refresh().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(0);
    gateway.answer({ data: { refreshToken: null } });
    expect(await refreshed).toMatchObject({ code: "BAD_RESPONSE" });
    expect(states.map((state) => [state.status, state.status === "signed-out" ? undefined : state.tokens?.accessToken])).toEqual([["error", "access-first"]]);
    tokens.close();
  });
});
