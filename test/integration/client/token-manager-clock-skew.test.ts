/**
 * The browser's clock is not the gateway's: a laptop set to the wrong time zone is hours off. When
 * to refresh is counted from what the gateway says is left (`secondsRemaining`) on the browser's
 * clock, as the credentials provider does, so a clock that is ahead causes no refresh loop and one
 * that is behind no expired token handed out. Fake timers; the fake gateway answers at once.
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

/** A gateway on the true clock (the fake timers' Date.now) issuing `lifetimeSeconds` tokens. */
function gateway(lifetimeSeconds: number) {
  let refreshes = 0;
  const fetchImpl: FetchLike = async () => {
    refreshes += 1;
    return { status: 200, text: async () => JSON.stringify({ data: { refreshToken: gatewayTokenSet(Date.now(), `r${refreshes}`, lifetimeSeconds) } }) };
  };
  return { fetch: fetchImpl, refreshes: () => refreshes };
}

function manager(fetchImpl: FetchLike, browserClockOffsetMs: number): TokenManager {
  return new TokenManager({ endpoint: "http://gateway.test/graphql", fetch: fetchImpl, channelName: null, locks: null, now: () => Date.now() + browserClockOffsetMs });
}

describe("TokenManager: a browser clock that is not the gateway's", () => {
  it("two hours ahead: one refresh at the start, then one per token lifetime, not a loop", async () => {
    const upstream = gateway(3600);
    const tokens = manager(upstream.fetch, 2 * 3_600_000);
    tokens.setTokens(gatewayTokenSet(Date.now(), "first"));
    // Held tokens the browser cannot judge yet: one refresh teaches it the gateway's clock.
    await vi.advanceTimersByTimeAsync(10_000);
    const afterStart = upstream.refreshes();
    expect(afterStart).toBeLessThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(50 * 60_000);
    expect(upstream.refreshes()).toBe(afterStart);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(upstream.refreshes()).toBe(afterStart + 1);
    expect(await tokens.getAccessToken()).toBe(`access-r${afterStart + 1}`);
    expect(upstream.refreshes()).toBe(afterStart + 1);
    tokens.close();
  });

  it("ten minutes behind: refreshes a minute before the true expiry, and never hands out an expired token", async () => {
    const upstream = gateway(3600);
    const tokens = manager(upstream.fetch, -10 * 60_000);
    tokens.setTokens(gatewayTokenSet(Date.now(), "first"));
    await tokens.refresh(); // the first answer from the gateway: r1, valid for an hour from now
    await vi.advanceTimersByTimeAsync(59 * 60_000 + 30_000);
    expect(upstream.refreshes()).toBe(2);
    expect(await tokens.getAccessToken()).toBe("access-r2");
    tokens.close();
  });
});
