/**
 * The session client's refresh timer against a browser clock that is not the gateway's (a laptop
 * in the wrong time zone is hours off): ahead, no refreshSession loop; behind, a refresh before the
 * session's tokens expire at the gateway. Fake timers; a fake gateway that answers at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSessionClient, type SessionFetchLike, type SessionStateFragment } from "../../../examples/client/src/index.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A session whose tokens were just issued for an hour, on the gateway's (true) clock. */
function sessionState(): SessionStateFragment {
  const now = Date.now();
  return {
    authenticated: true, clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222", subject: "user-1", scope: ["openid"],
    expiresAt: new Date(now + 3_600_000).toISOString(), signedInAt: new Date(now).toISOString(),
    idleExpiresAt: new Date(now + 8 * 3_600_000).toISOString(), absoluteExpiresAt: new Date(now + 24 * 3_600_000).toISOString(),
    canRefresh: true, secondsRemaining: 3600,
  };
}

/** Stops answering after 20 refreshes, so a refresh loop ends the test instead of spinning. */
function gateway() {
  let refreshes = 0;
  const fetchImpl: SessionFetchLike = async (_input, init) => {
    const { query } = JSON.parse(init.body) as { query: string };
    if (/mutation RefreshSession/.test(query)) refreshes += 1;
    if (refreshes > 20) return new Promise(() => undefined);
    const data = /mutation RefreshSession/.test(query) ? { refreshSession: sessionState() } : { session: sessionState() };
    return { status: 200, text: async () => JSON.stringify({ data }) };
  };
  return { fetch: fetchImpl, refreshes: () => refreshes };
}

function client(fetchImpl: SessionFetchLike, browserClockOffsetMs: number) {
  return createSessionClient({ endpoint: "http://gateway.test/graphql", fetch: fetchImpl, channelName: null, locks: null, now: () => Date.now() + browserClockOffsetMs });
}

describe("session client: a browser clock that is not the gateway's", () => {
  it("two hours ahead: no refreshSession until the session is due, then one", async () => {
    const upstream = gateway();
    const session = client(upstream.fetch, 2 * 3_600_000);
    await session.session();
    await vi.advanceTimersByTimeAsync(50 * 60_000);
    expect(upstream.refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(upstream.refreshes()).toBe(1);
    session.close();
  });

  it("ten minutes behind: refreshes before the session's tokens expire at the gateway", async () => {
    const upstream = gateway();
    const session = client(upstream.fetch, -10 * 60_000);
    await session.session();
    await vi.advanceTimersByTimeAsync(59 * 60_000 + 30_000);
    expect(upstream.refreshes()).toBe(1);
    session.close();
  });
});
