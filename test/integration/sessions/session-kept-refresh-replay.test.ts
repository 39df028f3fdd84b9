import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_APPLICATION_ARN, startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { dataOf, graphql } from "../../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, SIGN_OUT_EVERYWHERE } from "./session-support.js";

/**
 * Session mode and undelivered-answers.plugin.ts, for a sign-in with a refresh token (kept since
 * 73571eb, like an authorization code's answer). The sign-in marks its answer delivered (its session
 * exists), but a sibling `refreshToken` field with the same refresh token is handed the same answer
 * (one exchange per operation) and recorded it again, after the sign-in's mark: a failing third field
 * (`data: null`) then kept the sign-in's answer for "the retry". The retry signed in again from it, and
 * kept it again: one spent refresh token signed in again and again, every < 5 minutes, past the grace
 * window, after the user signed out everywhere too (session-kept-code-replay.test.ts, for a code).
 */
let upstream: RunningEmulator;
let tokenGateway: GatewayProcess;
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  upstream = await startEmulator({ port: 0, config: { applications: [{ clientId: DEFAULT_APPLICATION_ARN }] } });
  emulator = emulatorApi(upstream.url);
  const toEmulator = {
    SSO_OIDC_ENDPOINT: upstream.url, AWS_REGION: upstream.region,
    AWS_ACCESS_KEY_ID: upstream.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: upstream.credentials.secretAccessKey,
    RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
  };
  // Token mode, to hand the test a refresh token (session mode never shows one).
  tokenGateway = await startGateway({ env: toEmulator });
  // No grace window: a spent refresh token's only way to its answer is a kept one.
  gateway = await startGateway({ env: { ...toEmulator, SESSION_MODE: "cookie", REFRESH_GRACE_SECONDS: "0" } });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await tokenGateway?.stop();
  await upstream?.stop();
});

const EXCHANGE = `mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { refreshToken } }`;
const SIGN_IN_WITH_SIBLINGS = `mutation SignIn($input: CreateTokenWithIAMInput!, $same: RefreshTokenInput!, $bogus: RefreshTokenInput!) {
  a: createTokenWithIAM(input: $input) { clientId }
  b: refreshToken(input: $same) { clientId }
  c: refreshToken(input: $bogus) { clientId }
}`;
const BOGUS_REFRESH = { refreshToken: "aor-not-a-token-this-gateway-issued-0123456789" };
const WHO = `query { session { authenticated subject } }`;

describe("one refresh token's sign-in in session mode", () => {
  it("signs in once: no session from the spent token again, nor after the user signed out everywhere", async () => {
    const assertion = await emulator.mintAssertion({ sub: "refresh-victim" });
    const issued = dataOf(await graphql<{ createTokenWithIAM: { refreshToken: string } }>(tokenGateway.url, EXCHANGE, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } }));
    const refreshToken = issued.createTokenWithIAM.refreshToken;
    const variables = { input: { grantType: "REFRESH_TOKEN", refreshToken }, same: { refreshToken }, bogus: BOGUS_REFRESH };

    // The holder of the refresh token signs in, with a sibling refreshing the same token and one that fails.
    const first = browser();
    const signedIn = await first.post(gateway.url, SIGN_IN_WITH_SIBLINGS, variables);
    expect(signedIn.body.data ?? null).toBeNull();
    expect(first.cookie).toBeDefined();
    expect((await first.post(gateway.url, WHO)).body.data!.session).toMatchObject({ authenticated: true, subject: "refresh-victim" });
    const callsAfterSignIn = await emulator.createTokenWithIAMCalls();

    // The user signs out everywhere.
    expect((await first.post(gateway.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);

    // The same spent refresh token, again and again, each with the same siblings.
    const live: string[] = [];
    for (let i = 0; i < 3; i++) {
      const again = browser();
      await again.post(gateway.url, SIGN_IN_WITH_SIBLINGS, variables);
      const session = (await again.post(gateway.url, WHO)).body;
      if (session.data?.session?.authenticated === true) live.push(String(session.data.session.subject));
    }
    const upstreamCalls = (await emulator.createTokenWithIAMCalls()) - callsAfterSignIn;
    expect(live, `live sessions from one spent refresh token after signOutEverywhere; CreateTokenWithIAM calls since the sign-in: ${upstreamCalls}`).toEqual([]);
  }, 60_000);
});
