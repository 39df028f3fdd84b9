/**
 * The BroadcastChannel election without a gateway: tabs are TokenManagers on one real
 * BroadcastChannel (Node's, the same API as browsers'), the gateway is a fake fetch that records
 * each refresh it is asked for. Both tabs decide to refresh in the same tick, the worst case.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TokenManager, type FetchLike, type TokenSetFragment } from "../../../examples/client/src/index.js";
import { stateWhere, uniqueChannel } from "./client-harness.js";

const managers: TokenManager[] = [];
afterEach(() => {
  for (const manager of managers.splice(0)) manager.close();
});

function tokenSet(issuedAt: Date, label: string): TokenSetFragment {
  return {
    accessToken: `access-${label}`, tokenType: "Bearer", expiresIn: 3600, refreshToken: `refresh-${label}`, idToken: null,
    issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid"], awsAdditionalDetails: null,
    clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222",
    issuedAt: issuedAt.toISOString(), expiresAt: new Date(issuedAt.getTime() + 3_600_000).toISOString(),
    secondsRemaining: 3600,
    isAwsToken: false, canRefresh: true, idTokenClaims: null,
  };
}

/** A fake gateway: answers RefreshTokens with a new set after `delayMs` (never, when "hang"); records the refresh tokens sent. */
function fakeGateway(delayMs: number | "hang") {
  const refreshTokensSent: string[] = [];
  const fetchImpl: FetchLike = async (_url, init) => {
    const { variables } = JSON.parse(init.body) as { variables: { input: { refreshToken: string } } };
    refreshTokensSent.push(variables.input.refreshToken);
    if (delayMs === "hang") return new Promise(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const body = { data: { refreshToken: tokenSet(new Date(), `after-${refreshTokensSent.length}`) } };
    return { status: 200, text: async () => JSON.stringify(body) };
  };
  return { fetch: fetchImpl, refreshTokensSent };
}

function tabs(count: number, fetchFor: (index: number) => FetchLike, options: { followerTimeoutMs?: number } = {}): TokenManager[] {
  const channelName = uniqueChannel("election");
  const created = Array.from({ length: count }, (_, index) =>
    new TokenManager({ endpoint: "http://gateway.invalid/graphql", channelName, locks: null, refreshSkewMs: 0, fetch: fetchFor(index), ...options }),
  );
  managers.push(...created);
  return created;
}

describe("tab election over BroadcastChannel", () => {
  it("three tabs refreshing in the same tick send one refresh, from the smallest tab id, and all hold its result", async () => {
    const gateway = fakeGateway(20);
    const all = tabs(3, () => gateway.fetch);
    const held = tokenSet(new Date(Date.now() - 1000), "before");
    for (const tab of all) tab.setTokens(held);

    const results = await Promise.all(all.map((tab) => tab.refresh()));

    expect(gateway.refreshTokensSent).toEqual(["refresh-before"]);
    expect(results.map((tokens) => tokens.accessToken)).toEqual(["access-after-1", "access-after-1", "access-after-1"]);
    const winner = [...all].sort((a, b) => (a.tabId < b.tabId ? -1 : 1))[0]!;
    expect(winner.state).toEqual({ status: "signed-in", tokens: results[0] });
  });

  it("a tab that lost the election refreshes itself when the winner never answers within followerTimeoutMs", async () => {
    const hanging = fakeGateway("hang");
    const answering = fakeGateway(5);
    const [first, second] = tabs(2, (index) => (index === 0 ? hanging.fetch : answering.fetch), { followerTimeoutMs: 300 });
    const held = tokenSet(new Date(Date.now() - 1000), "before");
    first!.setTokens(held);
    second!.setTokens(held);
    // Make the hanging tab the winner whatever the random ids: it announces first, the other one hears it.
    const firstRefresh = first!.refresh();
    await new Promise((resolve) => setTimeout(resolve, 20));

    const refreshed = await second!.refresh();

    expect(hanging.refreshTokensSent).toEqual(["refresh-before"]);
    expect(answering.refreshTokensSent).toEqual(["refresh-before"]);
    expect(refreshed.accessToken).toBe("access-after-1");
    // The winner adopts the result from the channel: its own refresh() settles although its request never answered.
    expect((await firstRefresh).accessToken).toBe("access-after-1");
    expect(first!.state).toEqual({ status: "signed-in", tokens: refreshed });
  });

  it("a sign-out in one tab signs out the others", async () => {
    const [first, second] = tabs(2, () => fakeGateway(5).fetch);
    const held = tokenSet(new Date(), "before");
    first!.setTokens(held);
    second!.setTokens(held);

    first!.signOut();

    expect(first!.state).toEqual({ status: "signed-out", reason: "sign-out" });
    expect(await stateWhere(second!, (state) => state.status === "signed-out")).toEqual({ status: "signed-out", reason: "sign-out" });
  });
});
