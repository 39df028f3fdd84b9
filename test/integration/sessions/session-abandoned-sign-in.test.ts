import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { REDIRECT_URI } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { eventually } from "../store/redis-test-support.js";
import { browser, credentialsFrom, identityContextInIdToken, SESSION, SESSION_COOKIE, SIGN_OUT_EVERYWHERE } from "./session-support.js";

/**
 * Session mode: a browser that leaves before its sign-in answers (a navigation, a dropped mobile connection, its own
 * timeout) never gets the session's cookie, while AWS has spent the authorization code. Before, the session stayed
 * with nobody holding it (until its idle timeout) and the browser's retry with the same code met INVALID_GRANT: the
 * user had to sign in again. Now the unseen session ends and its answer waits for the retry, which signs in with no
 * second call to AWS; one code holds one live session at most.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({ env: { SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
});

const SIGN_IN = `mutation AbandonedSignIn($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { clientId } }`;
const SESSION_WITH_CREDENTIALS = `query { session { authenticated subject awsCredentials { accessKeyId } } }`;
const SCOPE = ["openid", "sts:identity_context"];

async function codeSignIn(sub: string): Promise<Record<string, unknown>> {
  const { codeVerifier, codeChallenge } = createPkcePair();
  const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub, codeChallenge, codeChallengeMethod: "S256", scope: SCOPE });
  return { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier, scope: SCOPE };
}

const answeredSignIns = () => gateway.logLines().filter((line) => line.msg === "graphql request" && line.operationName === "AbandonedSignIn").length;

/** Sends the sign-in and leaves while its call is at AWS (the emulator answers a second late); resolves once the gateway has answered it. */
async function abandonedSignIn(input: Record<string, unknown>): Promise<void> {
  const callsBefore = await emulator.createTokenWithIAMCalls();
  const answeredBefore = answeredSignIns();
  await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_000, count: 1 });
  const controller = new AbortController();
  const sent = fetch(gateway.url, {
    method: "POST", headers: { "content-type": "application/json", "x-idc-csrf": "1" },
    body: JSON.stringify({ query: SIGN_IN, variables: { input } }), signal: controller.signal,
  }).then(() => "answered", () => "aborted");
  await eventually("the sign-in's call reached AWS", async () => (await emulator.createTokenWithIAMCalls()) > callsBefore, 5_000);
  controller.abort();
  expect(await sent).toBe("aborted");
  await emulator.clearFaults();
  await eventually("the abandoned sign-in answered", () => answeredSignIns() > answeredBefore, 5_000);
}

describe("a session sign-in whose browser left before the answer", () => {
  it("hands its session to the retry with the same code: signed in, with AWS credentials and its identity context, and no second call to AWS", async () => {
    const input = await codeSignIn("abandoned-sign-in");
    const callsBefore = await emulator.createTokenWithIAMCalls();
    await abandonedSignIn(input);

    const retry = browser();
    const signedIn = await retry.post(gateway.url, SIGN_IN, { input });
    expect(signedIn.body.errors).toBeUndefined();
    expect(signedIn.setCookie).toContain(`${SESSION_COOKIE}=`);
    const session = (await retry.post(gateway.url, SESSION_WITH_CREDENTIALS)).body;
    expect(session.errors).toBeUndefined();
    expect(session.data!.session).toMatchObject({ authenticated: true, subject: "abandoned-sign-in", awsCredentials: { accessKeyId: expect.stringMatching(/^ASIA/) } });
    // The page shown the ID token may use its identity context: ending the unseen session did not forget it.
    const { idToken } = (await retry.post(gateway.url, SESSION)).body.data!.session as { idToken: string };
    expect(await credentialsFrom(gateway.url, identityContextInIdToken(idToken), retry.cookie)).toBe("ok");
    expect(await emulator.createTokenWithIAMCalls()).toBe(callsBefore + 1);
    // The session nobody saw ended: one code, one live session.
    expect(gateway.logLines().some((line) => line.msg === "session not started: its caller left before the answer, the tokens are kept for the retry")).toBe(true);

    // Handed out once: the same code again is AWS's to refuse.
    const again = browser();
    const refused = await again.post(gateway.url, SIGN_IN, { input });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("INVALID_GRANT");
    expect(again.cookie).toBeUndefined();
  });

  it("hands over a session that ends SESSION_ABSOLUTE_LIFETIME_SECONDS after its signedInAt (when AWS issued the tokens), not after the retry", async () => {
    // signedInAt is when AWS issued the kept tokens; the absolute lifetime counted from the retry instead, so a holder of
    // the code and verifier who abandoned each retry (the answer kept again, 5 more minutes each time) parked the
    // sign-in for as long as the refresh token lived and then took a session of a full SESSION_ABSOLUTE_LIFETIME_SECONDS.
    const input = await codeSignIn("abandoned-absolute-lifetime");
    await abandonedSignIn(input);

    const retry = browser();
    expect((await retry.post(gateway.url, SIGN_IN, { input })).body.errors).toBeUndefined();
    const session = (await retry.post(gateway.url, "query { session { authenticated signedInAt absoluteExpiresAt } }")).body.data!.session as { authenticated: boolean; signedInAt: string; absoluteExpiresAt: string };
    expect(session.authenticated).toBe(true);
    expect(Date.parse(session.absoluteExpiresAt) - Date.parse(session.signedInAt)).toBe(28_800_000);
  });

  it("after the user signed out everywhere, hands over no live session: the kept tokens were issued before the sign-out", async () => {
    const sub = "abandoned-then-signed-out";
    const input = await codeSignIn(sub);
    await abandonedSignIn(input);

    // The user, signed in elsewhere, signs out everywhere.
    const elsewhere = browser();
    expect((await elsewhere.post(gateway.url, SIGN_IN, { input: await codeSignIn(sub) })).body.errors).toBeUndefined();
    expect((await elsewhere.post(gateway.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);

    const retry = browser();
    await retry.post(gateway.url, SIGN_IN, { input });
    const session = (await retry.post(gateway.url, SESSION_WITH_CREDENTIALS)).body;
    expect(session.data?.session).toMatchObject({ authenticated: false, awsCredentials: null });
  });
});

describe("a retry that joined the abandoned sign-in's call, with SESSION_MAX_PER_USER=1", () => {
  let limited: GatewayProcess;
  let limitedEmulator: EmulatorApi;
  beforeAll(async () => {
    limited = await startGateway({ env: { SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", SESSION_MAX_PER_USER: "1", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
    limitedEmulator = emulatorApi(limited.emulatorUrl!);
  }, 60_000);
  afterAll(async () => {
    await limited?.stop();
  });

  it("keeps the identity context its page was shown: the abandoned session it displaced held the same tokens", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = await limitedEmulator.authorize({ redirectUri: REDIRECT_URI, sub: "joined-retry", codeChallenge, codeChallengeMethod: "S256", scope: SCOPE });
    const input = { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier, scope: SCOPE };
    const callsBefore = await limitedEmulator.createTokenWithIAMCalls();
    // The browser gives up while the call is at AWS and retries at once: the retry joins the call, both get its answer.
    await limitedEmulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_500, count: 1 });
    const controller = new AbortController();
    const abandoned = fetch(limited.url, {
      method: "POST", headers: { "content-type": "application/json", "x-idc-csrf": "1" },
      body: JSON.stringify({ query: SIGN_IN, variables: { input } }), signal: controller.signal,
    }).then(() => "answered", () => "aborted");
    await eventually("the sign-in's call reached AWS", async () => (await limitedEmulator.createTokenWithIAMCalls()) > callsBefore, 5_000);
    const retry = browser();
    const joined = retry.post(limited.url, SIGN_IN, { input });
    controller.abort();
    expect(await abandoned).toBe("aborted");
    await limitedEmulator.clearFaults();
    expect((await joined).body.errors).toBeUndefined();
    await eventually("the abandoned sign-in answered", () => limited.logLines().filter((line) => line.msg === "graphql request" && line.operationName === "AbandonedSignIn").length === 2, 5_000);
    expect(await limitedEmulator.createTokenWithIAMCalls()).toBe(callsBefore + 1);

    const { idToken } = (await retry.post(limited.url, SESSION)).body.data!.session as { idToken: string };
    expect(await credentialsFrom(limited.url, identityContextInIdToken(idToken), retry.cookie)).toBe("ok");
  });
});
