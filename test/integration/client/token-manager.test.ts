/**
 * The example client against the RUNNING gateway (spawned like a user runs it), which talks to an
 * in-process emulator issuing 5-second access tokens, so refreshes ahead of expiry happen quickly.
 * "Tabs" are TokenManagers sharing one BroadcastChannel name; the emulator's stats count the calls
 * that reached Identity Center, the counting fetch counts what the client sent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GatewayRequestError, TokenManager, type TokenManagerOptions } from "../../../examples/client/src/index.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { countingFetch, issuedAfter, startClientGateway, signedInTokens, stateWhere, uniqueChannel } from "./client-harness.js";
import { createMemoryLockManager } from "./memory-locks.js";

const ACCESS_TOKEN_LIFETIME_SECONDS = 5;
/** Refresh 4 s before a 5 s token expires: about 1 s after it was issued. */
const REFRESH_AHEAD_MS = 4_000;
/** No timer-driven refresh during a test that does not want one. */
const NO_EARLY_REFRESH_MS = 0;

let emulator: TestEmulator;
let gateway: GatewayProcess;
const managers: TokenManager[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator({
    config: { applications: [{ clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222", accessTokenLifetimeSeconds: ACCESS_TOKEN_LIFETIME_SECONDS }] },
  });
  gateway = await startClientGateway(emulator);
});

afterAll(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

afterEach(async () => {
  for (const manager of managers.splice(0)) manager.close();
  await emulator.dev.clearFaults();
});

function tab(options: Partial<TokenManagerOptions> = {}): TokenManager {
  const manager = new TokenManager({ endpoint: gateway.url, locks: null, channelName: null, refreshSkewMs: NO_EARLY_REFRESH_MS, ...options });
  managers.push(manager);
  return manager;
}

let users = 0;
/** A fresh assertion for a new user: two assertions minted in one second for one user are the same JWT, which the gateway would answer from its cache. */
async function assertion(sub = `user-${++users}`): Promise<string> {
  return (await emulator.dev.assertion({ sub })).assertion;
}

const upstreamCalls = async () => (await emulator.dev.stats()).calls.CreateTokenWithIAM;

describe("TokenManager against the running gateway", () => {
  it("signs in with the typed ExchangeToken operation and holds AWS's tokens with the computed expiry", async () => {
    const calls = countingFetch();
    const manager = tab({ fetch: calls.fetch });
    const before = await upstreamCalls();

    const tokens = await manager.signIn({ grantType: "JWT_BEARER", assertion: await assertion("alice") });

    expect(calls.operations).toEqual(["ExchangeToken"]);
    expect(await upstreamCalls()).toBe(before + 1);
    expect(manager.state).toEqual({ status: "signed-in", tokens });
    expect(tokens.expiresIn).toBe(ACCESS_TOKEN_LIFETIME_SECONDS);
    expect(Date.parse(tokens.expiresAt!) - Date.parse(tokens.issuedAt)).toBe(ACCESS_TOKEN_LIFETIME_SECONDS * 1000);
    expect(tokens.canRefresh).toBe(true);
    expect(tokens.idTokenClaims?.subject).toBe("alice");
    expect(await manager.getAccessToken()).toBe(tokens.accessToken);
  });

  it("refreshes ahead of expiresAt on its own, before the held access token expires", async () => {
    const calls = countingFetch();
    const manager = tab({ fetch: calls.fetch, refreshSkewMs: REFRESH_AHEAD_MS });
    const first = await manager.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });

    const refreshed = await stateWhere(manager, issuedAfter(first.issuedAt));
    const observedAt = Date.now();

    expect(calls.operations).toEqual(["ExchangeToken", "RefreshTokens"]);
    expect(observedAt).toBeLessThan(Date.parse(first.expiresAt!));
    const { accessToken, refreshToken } = signedInTokens(refreshed);
    expect([typeof accessToken, typeof refreshToken]).toEqual(["string", "string"]);
    expect(accessToken).not.toBe(first.accessToken);
    expect(refreshToken).not.toBe(first.refreshToken);
  });

  it("shares one in-flight refresh among concurrent callers in one tab", async () => {
    const calls = countingFetch();
    const manager = tab({ fetch: calls.fetch });
    await manager.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    const before = await upstreamCalls();

    const results = await Promise.all([manager.refresh(), manager.refresh(), manager.refresh()]);

    expect(calls.operations).toEqual(["ExchangeToken", "RefreshTokens"]);
    expect(await upstreamCalls()).toBe(before + 1);
    expect(new Set(results.map((tokens) => tokens.accessToken)).size).toBe(1);
  });

  for (const coordination of ["BroadcastChannel election", "BroadcastChannel + Web Locks"] as const) {
    it(`two tabs (${coordination}): one refresh reaches Identity Center and both tabs hold the same new tokens`, async () => {
      const channelName = uniqueChannel("two-tabs");
      const locks = coordination === "BroadcastChannel + Web Locks" ? createMemoryLockManager() : null;
      const calls = countingFetch();
      const first = tab({ fetch: calls.fetch, channelName, locks, refreshSkewMs: REFRESH_AHEAD_MS });
      const second = tab({ fetch: calls.fetch, channelName, locks, refreshSkewMs: REFRESH_AHEAD_MS });
      const before = await upstreamCalls();

      const signedIn = await first.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
      await stateWhere(second, (state) => state.status === "signed-in");
      // Both tabs now hold the same set and schedule the same refresh instant.
      const [a, b] = await Promise.all([stateWhere(first, issuedAfter(signedIn.issuedAt)), stateWhere(second, issuedAfter(signedIn.issuedAt))]);
      first.close();
      second.close();

      expect(calls.operations).toEqual(["ExchangeToken", "RefreshTokens"]);
      expect(await upstreamCalls()).toBe(before + 2);
      expect(a).toEqual(b);
      const { refreshToken } = signedInTokens(a);
      expect(typeof refreshToken).toBe("string");
      expect(refreshToken).not.toBe(signedIn.refreshToken);
      expect(first.tokens).toEqual(signedInTokens(a));
    });
  }

  it("signs out every tab when the refresh token is rejected with INVALID_GRANT", async () => {
    const channelName = uniqueChannel("invalid-grant");
    const first = tab({ channelName });
    const second = tab({ channelName });
    const signedIn = await first.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await stateWhere(second, (state) => state.status === "signed-in");
    first.setTokens({ ...signedIn, refreshToken: "not-a-refresh-token-the-emulator-issued" });

    const failure: unknown = await first.refresh().then(() => undefined, (error: unknown) => error);

    expect(failure).toBeInstanceOf(GatewayRequestError);
    expect((failure as GatewayRequestError).code).toBe("INVALID_GRANT");
    expect(first.state).toEqual({ status: "signed-out", reason: "invalid-grant" });
    expect(await stateWhere(second, (state) => state.status === "signed-out")).toEqual({ status: "signed-out", reason: "sign-out" });
    await expect(second.getAccessToken()).rejects.toThrow("no tokens: the user is signed out");
  });

  it("retries a refresh that failed with UPSTREAM_SERVER_ERROR and keeps the session", async () => {
    const calls = countingFetch();
    // The gateway shares a failed exchange's error for about a second: back off longer than that.
    const manager = tab({ fetch: calls.fetch, backoff: { initialDelayMs: 2_400, maxDelayMs: 2_400 } });
    const signedIn = await manager.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await emulator.dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    const errorsBefore = (await emulator.dev.stats()).errors.InternalServerException ?? 0;

    const refreshed = await manager.refresh();

    expect(calls.operations).toEqual(["ExchangeToken", "RefreshTokens", "RefreshTokens"]);
    expect((await emulator.dev.stats()).errors.InternalServerException).toBe(errorsBefore + 1);
    expect(refreshed.issuedAt > signedIn.issuedAt).toBe(true);
    expect(manager.state).toEqual({ status: "signed-in", tokens: refreshed });
  });

  it("gives up after maxAttempts and reports the last error code without signing out", async () => {
    const manager = tab({ maxAttempts: 2, backoff: { initialDelayMs: 10, maxDelayMs: 10 } });
    const signedIn = await manager.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await emulator.dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 2 });

    await expect(manager.refresh()).rejects.toMatchObject({ code: "UPSTREAM_SERVER_ERROR" });

    expect(manager.state.status).toBe("error");
    expect(manager.tokens).toEqual(signedIn);
  });
});
