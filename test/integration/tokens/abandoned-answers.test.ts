import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../../support/gateway-client.js";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { REDIRECT_URI } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { eventually } from "../store/redis-test-support.js";

/**
 * A client that gives up on its request (its own timeout shorter than UPSTREAM_DEADLINE_MS, a dropped
 * mobile connection, a page navigated away) while AWS is still answering a single-use grant: AWS
 * spends the code (or refresh token) and the gateway writes the answer to a connection that is gone.
 * It answered `data` (nothing failed on its side), so nothing was kept, and the client's retry with
 * the same code met INVALID_GRANT (a review). An answer whose caller is gone is now kept like one its
 * operation did not deliver.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({ env: { RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", REFRESH_GRACE_SECONDS: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});

const REFRESH = `mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken refreshToken } }`;
const CODE_ALONE = `mutation Code($code: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $code) { accessToken refreshToken } }`;

/** Sends `query` and gives up once the gateway has it (the connection closed, as a client's timeout does). */
async function abandoned(query: string, variables: Record<string, unknown>, callsBefore: number): Promise<void> {
  const controller = new AbortController();
  const sent = fetch(gateway.url, {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }), signal: controller.signal,
  }).catch(() => "aborted");
  // Given up while its call is at AWS (the emulator answers late).
  await eventually("the call reached AWS", async () => (await emulator.createTokenWithIAMCalls()) > callsBefore, 5_000);
  controller.abort();
  expect(await sent).toBe("aborted");
}

describe("a single-use grant's answer whose caller gave up before it came", () => {
  it("is kept for the retry with the same code and verifier: the retry signs in, with no second call to AWS", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = { grantType: "AUTHORIZATION_CODE", code: await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "yusuf", codeChallenge, codeChallengeMethod: "S256" }), redirectUri: REDIRECT_URI, codeVerifier };
    const before = await emulator.createTokenWithIAMCalls();
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_000, count: 1 });
    await abandoned(CODE_ALONE, { code }, before);
    await emulator.clearFaults();
    // The client retries once the gateway has had AWS's answer (and written it to the closed connection).
    await eventually("the abandoned request answered", () => gateway.logLines().some((line) => line.msg === "graphql request" && line.operationName === "Code"), 5_000);

    const retry = await graphql<{ createTokenWithIAM: { accessToken: string } }>(gateway.url, CODE_ALONE, { code });
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data!.createTokenWithIAM.accessToken).toMatch(/^aoa/);
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
  });

  it("given to the client's retry that joined the call, is not kept: the same code and verifier again get INVALID_GRANT", async () => {
    // As the refresh case below, for an authorization code: the retry that joined the call received the answer, and the
    // abandoned request's answer, kept after it, signed in a second time from one code (a review).
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = { grantType: "AUTHORIZATION_CODE", code: await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "abandoned-code-joiner", codeChallenge, codeChallengeMethod: "S256" }), redirectUri: REDIRECT_URI, codeVerifier };
    const answered = () => gateway.logLines().filter((line) => line.msg === "graphql request" && line.operationName === "Code").length;
    const answeredBefore = answered();
    const before = await emulator.createTokenWithIAMCalls();
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_000, count: 1 });
    await abandoned(CODE_ALONE, { code }, before);
    const retry = await graphql<{ createTokenWithIAM: { accessToken: string } }>(gateway.url, CODE_ALONE, { code });
    await emulator.clearFaults();
    expect(retry.body.errors).toBeUndefined();
    await eventually("the abandoned request answered", () => answered() >= answeredBefore + 2, 5_000);

    const later = await graphql<{ createTokenWithIAM: { accessToken: string } }>(gateway.url, CODE_ALONE, { code });
    expect(later.body.data?.createTokenWithIAM ?? null, "the answer the retry received, handed out again").toBeNull();
    expect(later.body.errors![0]!.extensions!.code).toBe("INVALID_GRANT");
    // The sign-in's call, and the later request's, which AWS refused (the gateway keeps no record of spent codes).
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 2);
  });

  it("is kept for the retry with the same refresh token, with no grace window (REFRESH_GRACE_SECONDS=0): no second call to AWS", async () => {
    const assertion = await emulator.mintAssertion({ sub: "zora" });
    const signedIn = await graphql<{ createTokenWithIAM: { refreshToken: string } }>(gateway.url, `mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "${assertion}" }) { refreshToken } }`);
    const refreshToken = signedIn.body.data!.createTokenWithIAM.refreshToken;
    const before = await emulator.createTokenWithIAMCalls();
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_000, count: 1 });
    await abandoned(REFRESH, { input: { refreshToken } }, before);
    await emulator.clearFaults();
    await eventually("the abandoned request answered", () => gateway.logLines().some((line) => line.msg === "graphql request" && line.operationName === "Refresh"), 5_000);

    const retry = await graphql<{ refreshToken: { accessToken: string } }>(gateway.url, REFRESH, { input: { refreshToken } });
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data!.refreshToken.accessToken).toMatch(/^aoa/);
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
  });

  it("given to the client's retry that joined the call, is not kept: a later holder of the old refresh token is refused", async () => {
    // A review: the client gave up and retried at once; its retry joined the call still at AWS and got the answer, and then the
    // abandoned request's answer (written to the closed connection) was kept too: a second holder of the old token collected it.
    const assertion = await emulator.mintAssertion({ sub: "abandoned-joiner" });
    const signedIn = await graphql<{ createTokenWithIAM: { refreshToken: string } }>(gateway.url, `mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "${assertion}" }) { refreshToken } }`);
    const refreshToken = signedIn.body.data!.createTokenWithIAM.refreshToken;
    const answered = () => gateway.logLines().filter((line) => line.msg === "graphql request" && line.operationName === "Refresh").length;
    const answeredBefore = answered();
    const before = await emulator.createTokenWithIAMCalls();
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_000, count: 1 });
    await abandoned(REFRESH, { input: { refreshToken } }, before);
    const retry = await graphql<{ refreshToken: { refreshToken: string } }>(gateway.url, REFRESH, { input: { refreshToken } });
    await emulator.clearFaults();
    expect(retry.body.errors).toBeUndefined();
    await eventually("the abandoned request answered", () => answered() >= answeredBefore + 2, 5_000);

    const later = await graphql<{ refreshToken: { refreshToken: string } }>(gateway.url, REFRESH, { input: { refreshToken } });
    expect(later.body.data?.refreshToken ?? null, "the answer the retry received, handed out again").toBeNull();
    expect(later.body.errors![0]!.extensions!.code).toBe("INVALID_GRANT");
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
  });
});
