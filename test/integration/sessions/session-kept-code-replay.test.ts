import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { REDIRECT_URI } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, SESSION, SIGN_OUT_EVERYWHERE } from "./session-support.js";

/**
 * Session mode and undelivered-answers.plugin.ts: an operation whose sign-in succeeded (session written,
 * cookie set) but whose `data` is null (a failing sibling root field: the caller chooses one) keeps the
 * code's answer for "the caller's retry". In session mode the answer *was* delivered: the session exists.
 * The retry signs in again from the kept tokens, and if it too carries a failing sibling, the answer is
 * kept again: one authorization code (single use at AWS) signs in again and again, every < 5 minutes,
 * with tokens issued before a signOutEverywhere, which the new sessions outlive (signed in after its mark).
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({ env: { SESSION_MODE: "cookie", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
});

const SIGN_IN_WITH_FAILING_SIBLING = `mutation SignIn($code: CreateTokenWithIAMInput!, $refresh: RefreshTokenInput!) {
  a: createTokenWithIAM(input: $code) { clientId }
  b: refreshToken(input: $refresh) { clientId }
}`;
const BOGUS_REFRESH = { refreshToken: "aor-not-a-token-this-gateway-issued-0123456789" };
const CREDENTIALS = `query { session { authenticated subject awsCredentials { accessKeyId } } }`;

describe("one authorization code in session mode", () => {
  it("signs in once: no session from it after the user signed out everywhere", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const scope = ["openid", "sts:identity_context"];
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "code-victim", codeChallenge, codeChallengeMethod: "S256", scope });
    const input = { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier, scope };
    const callsBefore = await emulator.createTokenWithIAMCalls();

    // The holder of the code and verifier signs in, with a sibling field that fails: a session, and the answer kept.
    const first = browser();
    const signedIn = await first.post(gateway.url, SIGN_IN_WITH_FAILING_SIBLING, { code: input, refresh: BOGUS_REFRESH });
    expect(signedIn.body.data ?? null).toBeNull();
    expect(first.cookie).toBeDefined();
    expect((await first.post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true, subject: "code-victim" });

    // The user signs out everywhere.
    expect((await first.post(gateway.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);

    // The same code and verifier, again and again, each with a failing sibling.
    const live: string[] = [];
    for (let i = 0; i < 3; i++) {
      const again = browser();
      await again.post(gateway.url, SIGN_IN_WITH_FAILING_SIBLING, { code: input, refresh: BOGUS_REFRESH });
      const session = (await again.post(gateway.url, CREDENTIALS)).body;
      if (session.data?.session?.authenticated === true) live.push(`${session.data.session.subject} ${session.data.session.awsCredentials?.accessKeyId}`);
    }
    const upstreamCalls = (await emulator.createTokenWithIAMCalls()) - callsBefore;
    expect(live, `live sessions (and AWS credentials) from one spent code after signOutEverywhere; CreateTokenWithIAM calls: ${upstreamCalls}`).toEqual([]);
  }, 60_000);
});
