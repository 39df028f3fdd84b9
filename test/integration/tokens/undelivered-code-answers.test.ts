import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { graphql } from "../../support/gateway-client.js";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { REDIRECT_URI } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * An operation that fails in part answers `data: null` (the token mutations are non-null), while an
 * authorization code it exchanged is already spent at AWS. The gateway keeps such an answer for the
 * caller's retry with the same code and verifier (undelivered-answers.plugin.ts): an attacker review
 * sent a code beside a bogus refresh token and lost the code's tokens for good.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({ env: { RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

const CODE_AND_BOGUS_REFRESH = `mutation CodeAndRefresh($code: CreateTokenWithIAMInput!, $refresh: RefreshTokenInput!) {
  a: createTokenWithIAM(input: $code) { accessToken refreshToken }
  b: refreshToken(input: $refresh) { accessToken }
}`;
const CODE_ALONE = `mutation Code($code: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $code) { accessToken refreshToken } }`;

async function newCode(sub: string) {
  const { codeVerifier, codeChallenge } = createPkcePair();
  const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub, codeChallenge, codeChallengeMethod: "S256" });
  return { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier };
}

describe("an authorization code's answer its operation did not deliver", () => {
  it("a sibling field's failure nulls the data; the retry with the same code and verifier gets the tokens, without a second call to AWS; once", async () => {
    const code = await newCode("ursula");
    const failed = await graphql<Record<string, unknown>>(gateway.url, CODE_AND_BOGUS_REFRESH, { code, refresh: { refreshToken: "aor-not-a-token-this-gateway-issued-0123456789" } });
    expect(failed.body.data ?? null).toBeNull();
    expect(failed.body.errors?.map((error) => error.extensions?.code)).toContain("INVALID_GRANT");
    const callsAfterFailure = await emulator.createTokenWithIAMCalls();

    const retry = await graphql<{ createTokenWithIAM: { accessToken: string; refreshToken: string } }>(gateway.url, CODE_ALONE, { code });
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data!.createTokenWithIAM.accessToken).toMatch(/^aoa/);
    expect(await emulator.createTokenWithIAMCalls()).toBe(callsAfterFailure);
    expect(gateway.logLines().some((line) => line.msg === "kept an authorization code's answer its operation did not deliver, for the caller's retry")).toBe(true);

    // Taken once, like the code: the next try is AWS's answer to a spent code.
    const again = await graphql(gateway.url, CODE_ALONE, { code });
    expect(again.body.errors?.[0]?.extensions?.code).toBe("INVALID_GRANT");
  });

  it("a delivered code answer is not kept: its retry is refused as AWS refuses a spent code", async () => {
    const code = await newCode("victor");
    const first = await graphql<{ createTokenWithIAM: { accessToken: string } }>(gateway.url, CODE_ALONE, { code });
    expect(first.body.errors).toBeUndefined();
    const retry = await graphql(gateway.url, CODE_ALONE, { code });
    expect(retry.body.errors?.[0]?.extensions?.code).toBe("INVALID_GRANT");
  });

  it("an answer delivered beside a nullable field's error is not kept: the code cannot be redeemed again", async () => {
    const code = await newCode("xavier");
    const withCredentialError = `mutation Code($code: CreateTokenWithIAMInput!) {
      createTokenWithIAM(input: $code) { accessToken awsCredentials(roleArn: "arn:aws:iam::123456789012:role/NotAllowed") { accessKeyId } }
    }`;
    const delivered = await graphql<{ createTokenWithIAM: { accessToken: string; awsCredentials: null } }>(gateway.url, withCredentialError, { code });
    expect(delivered.body.data!.createTokenWithIAM.accessToken).toMatch(/^aoa/);
    expect(delivered.body.data!.createTokenWithIAM.awsCredentials).toBeNull();
    expect(delivered.body.errors?.length).toBeGreaterThan(0);
    const again = await graphql(gateway.url, CODE_ALONE, { code });
    expect(again.body.errors?.[0]?.extensions?.code).toBe("INVALID_GRANT");
  });

  it("only the code's holder collects it: the same code with another verifier gets nothing kept", async () => {
    const code = await newCode("wendy");
    await graphql(gateway.url, CODE_AND_BOGUS_REFRESH, { code, refresh: { refreshToken: "aor-not-a-token-this-gateway-issued-0123456789" } });
    const thief = await graphql(gateway.url, CODE_ALONE, { code: { ...code, codeVerifier: createPkcePair().codeVerifier } });
    expect(thief.body.data ?? null).toBeNull();
    expect(thief.body.errors?.[0]?.extensions?.code).toBe("INVALID_GRANT");
    const owner = await graphql<{ createTokenWithIAM: { accessToken: string } }>(gateway.url, CODE_ALONE, { code });
    expect(owner.body.data!.createTokenWithIAM.accessToken).toMatch(/^aoa/);
  });
});
