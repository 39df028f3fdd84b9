/**
 * A sign-out while a refresh is on its way must stay a sign-out: the refresh's answer, arriving
 * after it, may neither sign this tab in again nor, broadcast, any other tab (a user who signed out
 * on a shared computer would otherwise find themselves signed in again a moment later).
 */
import { afterEach, describe, expect, it } from "vitest";
import { TokenManager } from "../../../examples/client/src/index.js";
import { uniqueChannel } from "./client-harness.js";
import { gatewayTokenSet, heldFetch } from "./client-fakes.js";

const managers: TokenManager[] = [];
afterEach(() => {
  for (const manager of managers.splice(0)) manager.close();
});

const flush = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("TokenManager: a sign-out racing a refresh", () => {
  it("stays signed out when the refresh's answer arrives after signOut() in the same tab", async () => {
    const gateway = heldFetch();
    const tab = new TokenManager({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch, channelName: null, locks: null });
    managers.push(tab);
    tab.setTokens(gatewayTokenSet(Date.now(), "first"));
    const refreshing = tab.refresh();
    refreshing.catch(() => undefined);
    await flush();
    expect(gateway.operations).toEqual(["RefreshTokens"]);

    tab.signOut();
    gateway.answer({ data: { refreshToken: gatewayTokenSet(Date.now(), "second") } });
    await refreshing.catch(() => undefined);

    expect(tab.state).toEqual({ status: "signed-out", reason: "sign-out" });
    expect(tab.tokens).toBeUndefined();
  });

  it("stays signed out in every tab when another tab's refresh answer overtakes the sign-out message", async () => {
    const channelName = uniqueChannel("sign-out-race");
    const gateway = heldFetch();
    const signingOut = new TokenManager({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch, channelName, locks: null });
    const refreshing = new TokenManager({ endpoint: "http://gateway.test/graphql", fetch: gateway.fetch, channelName, locks: null, electionWindowMs: 0 });
    managers.push(signingOut, refreshing);
    const first = gatewayTokenSet(Date.now(), "first");
    signingOut.setTokens(first);
    refreshing.setTokens(first);
    const refreshed = refreshing.refresh();
    refreshed.catch(() => undefined);
    await flush();
    expect(gateway.operations).toEqual(["RefreshTokens"]);

    // In one turn: the answer reaches the refreshing tab, and the user signs out in the other tab.
    gateway.answer({ data: { refreshToken: gatewayTokenSet(Date.now() + 1000, "second") } });
    signingOut.signOut();
    await refreshed.catch(() => undefined);
    await flush();

    expect(signingOut.state).toEqual({ status: "signed-out", reason: "sign-out" });
    expect(refreshing.state).toEqual({ status: "signed-out", reason: "sign-out" });
  });
});
