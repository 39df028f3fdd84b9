import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dataOf, graphql, onlyError } from "../support/gateway-client.js";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import {
  ACCESS_TOKEN_TYPE, AWS_TOKEN_TYPE, CREATE_TOKEN, DEFAULT_CLIENT_ID, GATEWAY_INFO, REDIRECT_URI, REFRESH_TOKEN, REFRESH_TOKEN_TYPE, type TokenResponse,
} from "../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * Every grant end to end: GraphQL → gateway → real AWS SDK (SigV4) → embedded emulator, and the
 * per-request DataLoader that makes identical exchanges in one operation cost one upstream call.
 * The emulator's stats are the `calls` we assert on, exactly.
 */

const DEFAULT_APPLICATION_SCOPES = ["openid", "aws", "sts:identity_context"];
const DEFAULT_ACCESS_TOKEN_LIFETIME = 3600;

let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  // One caller (127.0.0.1) runs every grant here: its upstream budget is tested in hardening/upstream-budget.test.ts.
  gateway = await startGateway({ env: { RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

async function createToken(input: Record<string, unknown>) {
  return graphql<{ createTokenWithIAM: TokenResponse }>(gateway.url, CREATE_TOKEN, { input });
}

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1];
  if (!payload) throw new Error("not a JWT");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** The computed fields every successful response must get right, whatever the grant. */
function expectConsistentTiming(token: TokenResponse, requestStartedAt: number, responseReceivedAt: number) {
  expect(token.expiresIn).toBe(DEFAULT_ACCESS_TOKEN_LIFETIME);
  const expiresIn = token.expiresIn!;
  expect(token.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  // expiresAt is computed once per response: reading it twice gives the same instant.
  expect(token.expiresAtAgain).toBe(token.expiresAt);
  const issuedAt = Date.parse(token.issuedAt);
  expect(Date.parse(token.expiresAt!)).toBe(issuedAt + expiresIn * 1000);
  // issuedAt is when the gateway got AWS's answer: inside this request's round trip.
  expect(issuedAt).toBeGreaterThanOrEqual(requestStartedAt);
  expect(issuedAt).toBeLessThanOrEqual(responseReceivedAt);
  expect(token.clientId).toBe(DEFAULT_CLIENT_ID);
  expect(token.isExpired).toBe(false);
  expect(token.secondsRemaining).toBeGreaterThan(expiresIn - 5);
  expect(token.secondsRemaining).toBeLessThanOrEqual(expiresIn);
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; startedAt: number; receivedAt: number }> {
  const startedAt = Date.now();
  const value = await run();
  return { value, startedAt, receivedAt: Date.now() };
}

async function jwtBearerToken(sub = "alice"): Promise<TokenResponse> {
  const assertion = await emulator.mintAssertion({ sub });
  return dataOf(await createToken({ grantType: "JWT_BEARER", assertion })).createTokenWithIAM;
}

describe("JWT_BEARER", () => {
  it("exchanges a minted assertion for AWS's response fields and consistent computed fields, in one upstream call", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const { value: result, startedAt, receivedAt } = await timed(() => createToken({ grantType: "JWT_BEARER", assertion }));

    expect(result.status).toBe(200);
    const token = dataOf(result).createTokenWithIAM;
    expect(token.accessToken).toMatch(/^aoa/);
    expect(token.tokenType).toBe("Bearer");
    expect(token.refreshToken).toMatch(/^aor/);
    expect(token.idToken!.split(".")).toHaveLength(3);
    expect(token.issuedTokenType).toBe(REFRESH_TOKEN_TYPE);
    expect(token.scope).toEqual(DEFAULT_APPLICATION_SCOPES);
    expect(token.isAwsToken).toBe(false);
    expect(token.canRefresh).toBe(true);
    expectConsistentTiming(token, startedAt, receivedAt);

    const idTokenPayload = decodeJwtPayload(token.idToken!);
    expect(token.idTokenClaims!.subject).toBe("alice");
    expect(idTokenPayload.sub).toBe("alice");
    expect(token.awsAdditionalDetails!.identityContext).toEqual(expect.any(String));
    expect(token.awsAdditionalDetails!.identityContext).toBe(idTokenPayload["sts:identity_context"]);
    expect(token.idTokenClaims!.identityContext).toBe(token.awsAdditionalDetails!.identityContext);

    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });

  it("passes a requested scope through and answers with it", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const token = dataOf(await createToken({ grantType: "JWT_BEARER", assertion, scope: ["openid", "aws"] })).createTokenWithIAM;
    expect(token.scope).toEqual(["openid", "aws"]);
  });
});

describe("AUTHORIZATION_CODE", () => {
  it("redeems a PKCE S256 code for the user it was issued to", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob", codeChallenge, codeChallengeMethod: "S256" });

    const { value: result, startedAt, receivedAt } = await timed(() =>
      createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier }),
    );

    const token = dataOf(result).createTokenWithIAM;
    expect(token.accessToken).toMatch(/^aoa/);
    expect(token.tokenType).toBe("Bearer");
    expect(token.refreshToken).toMatch(/^aor/);
    expect(token.issuedTokenType).toBe(REFRESH_TOKEN_TYPE);
    expect(token.idTokenClaims!.subject).toBe("bob");
    expect(token.idTokenClaims!.identityContext).toBe(token.awsAdditionalDetails!.identityContext);
    expect(token.isAwsToken).toBe(false);
    expect(token.canRefresh).toBe(true);
    expectConsistentTiming(token, startedAt, receivedAt);
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });
});

describe("REFRESH_TOKEN", () => {
  it("refreshes through Mutation.refreshToken with rotation: new tokens and a new refresh token, in one upstream call", async () => {
    const first = await jwtBearerToken("carol");
    const callsBefore = await emulator.createTokenWithIAMCalls();

    const { value: result, startedAt, receivedAt } = await timed(() =>
      graphql<{ refreshToken: TokenResponse }>(gateway.url, REFRESH_TOKEN, { input: { refreshToken: first.refreshToken } }),
    );

    const refreshed = dataOf(result).refreshToken;
    expect(refreshed.accessToken).toMatch(/^aoa/);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.refreshToken).toMatch(/^aor/);
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    expect(refreshed.tokenType).toBe("Bearer");
    expect(refreshed.issuedTokenType).toBe(REFRESH_TOKEN_TYPE);
    // The refresh carries the sign-in's identity context again (AWS's trusted-identity-propagation plugin needs it).
    expect(refreshed.idTokenClaims!.subject).toBe("carol");
    expect(refreshed.awsAdditionalDetails!.identityContext).toBe(first.awsAdditionalDetails!.identityContext);
    expect(refreshed.idTokenClaims!.identityContext).toBe(first.awsAdditionalDetails!.identityContext);
    expect(refreshed.canRefresh).toBe(true);
    expect(refreshed.isAwsToken).toBe(false);
    expectConsistentTiming(refreshed, startedAt, receivedAt);
    expect((await emulator.createTokenWithIAMCalls()) - callsBefore).toBe(1);

    // The successor works in turn (the rotated pair is a real one).
    const next = dataOf(await graphql<{ refreshToken: TokenResponse }>(gateway.url, REFRESH_TOKEN, { input: { refreshToken: refreshed.refreshToken } })).refreshToken;
    expect(next.refreshToken).not.toBe(refreshed.refreshToken);
  });

  it("re-presenting a just-rotated refresh token (REFRESH_GRACE_SECONDS) answers its successor without an upstream call", async () => {
    const first = await jwtBearerToken("carol");
    const refresh = () => graphql<{ refreshToken: TokenResponse }>(gateway.url, REFRESH_TOKEN, { input: { refreshToken: first.refreshToken } });
    const refreshed = dataOf(await refresh()).refreshToken;
    const callsAfterRotation = await emulator.createTokenWithIAMCalls();

    // A second tab that still holds the old refresh token must not be logged out.
    const again = dataOf(await refresh()).refreshToken;
    expect(again.accessToken).toBe(refreshed.accessToken);
    expect(again.refreshToken).toBe(refreshed.refreshToken);
    expect(await emulator.createTokenWithIAMCalls()).toBe(callsAfterRotation);
  });

  it("concurrent refreshes of one refresh token all succeed with the same successor, in one upstream call", async () => {
    const first = await jwtBearerToken("carol");
    const callsBefore = await emulator.createTokenWithIAMCalls();
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => graphql<{ refreshToken: TokenResponse }>(gateway.url, REFRESH_TOKEN, { input: { refreshToken: first.refreshToken } })),
    );
    const tokens = results.map((result) => dataOf(result).refreshToken);
    for (const token of tokens) {
      expect(token.accessToken).toBe(tokens[0]!.accessToken);
      expect(token.refreshToken).toBe(tokens[0]!.refreshToken);
    }
    expect(tokens[0]!.refreshToken).not.toBe(first.refreshToken);
    expect((await emulator.createTokenWithIAMCalls()) - callsBefore).toBe(1);
  });

  it("refreshes through createTokenWithIAM with grantType REFRESH_TOKEN as well", async () => {
    const first = await jwtBearerToken("carol");
    const refreshed = dataOf(await createToken({ grantType: "REFRESH_TOKEN", refreshToken: first.refreshToken })).createTokenWithIAM;
    expect(refreshed.accessToken).toMatch(/^aoa/);
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    expect(refreshed.canRefresh).toBe(true);
  });
});

describe("TOKEN_EXCHANGE", () => {
  it("exchanges an Identity Center access token for an AWS token (isAwsToken, issuedTokenType as requested, no refresh token)", async () => {
    const subject = await jwtBearerToken("dave");
    const callsBefore = await emulator.createTokenWithIAMCalls();

    const { value: result, startedAt, receivedAt } = await timed(() =>
      createToken({
        grantType: "TOKEN_EXCHANGE",
        subjectToken: subject.accessToken,
        subjectTokenType: ACCESS_TOKEN_TYPE,
        requestedTokenType: AWS_TOKEN_TYPE,
      }),
    );

    const token = dataOf(result).createTokenWithIAM;
    expect(token.accessToken).toMatch(/^aoa/);
    expect(token.accessToken).not.toBe(subject.accessToken);
    expect(token.tokenType).toBe("Bearer");
    expect(token.issuedTokenType).toBe(AWS_TOKEN_TYPE);
    expect(token.isAwsToken).toBe(true);
    expect(token.refreshToken).toBeNull();
    expect(token.canRefresh).toBe(false);
    expect(token.idTokenClaims!.subject).toBe("dave");
    expect(token.idTokenClaims!.identityContext).toBe(token.awsAdditionalDetails!.identityContext);
    expectConsistentTiming(token, startedAt, receivedAt);
    expect((await emulator.createTokenWithIAMCalls()) - callsBefore).toBe(1);
  });

  it("issues an access token when no requestedTokenType is given, which is not an AWS token", async () => {
    const subject = await jwtBearerToken("dave");
    const token = dataOf(
      await createToken({ grantType: "TOKEN_EXCHANGE", subjectToken: subject.accessToken, subjectTokenType: ACCESS_TOKEN_TYPE }),
    ).createTokenWithIAM;
    expect(token.issuedTokenType).toBe(ACCESS_TOKEN_TYPE);
    expect(token.isAwsToken).toBe(false);
  });
});

describe("Query.gateway", () => {
  it("describes the running gateway: version, EMBEDDED upstream mode, region, default application and the four grants", async () => {
    const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const result = await graphql<{ gateway: Record<string, unknown> }>(gateway.url, GATEWAY_INFO);
    const info = dataOf(result).gateway;
    expect(info.version).toBe(version);
    expect(info.upstreamMode).toBe("EMBEDDED");
    expect(info.region).toBe("us-east-1");
    expect(info.defaultClientId).toBe(DEFAULT_CLIENT_ID);
    expect(info.allowedClientIds).toEqual([DEFAULT_CLIENT_ID]);
    expect([...(info.supportedGrantTypes as string[])].sort()).toEqual(["AUTHORIZATION_CODE", "JWT_BEARER", "REFRESH_TOKEN", "TOKEN_EXCHANGE"]);
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });
});

const THREE_IDENTICAL_EXCHANGES = /* GraphQL */ `
  mutation ($input: CreateTokenWithIAMInput!) {
    first: createTokenWithIAM(input: $input) { accessToken refreshToken expiresAt }
    second: createTokenWithIAM(input: $input) { accessToken refreshToken expiresAt }
    third: createTokenWithIAM(input: $input) { accessToken refreshToken expiresAt }
  }
`;

const TWO_DIFFERENT_EXCHANGES = /* GraphQL */ `
  mutation ($alice: CreateTokenWithIAMInput!, $bob: CreateTokenWithIAMInput!) {
    alice: createTokenWithIAM(input: $alice) { accessToken idTokenClaims { subject } }
    bob: createTokenWithIAM(input: $bob) { accessToken idTokenClaims { subject } }
  }
`;

describe("DataLoader (per operation)", () => {
  it("answers three aliases of the identical JWT exchange with one CreateTokenWithIAM call and the same token", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const result = await graphql<Record<"first" | "second" | "third", { accessToken: string; refreshToken: string; expiresAt: string }>>(gateway.url, THREE_IDENTICAL_EXCHANGES, {
      input: { grantType: "JWT_BEARER", assertion },
    });

    const { first, second, third } = dataOf(result);
    expect(first.accessToken).toMatch(/^aoa/);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });

  it("makes one call per distinct exchange when two aliases carry different assertions", async () => {
    const [aliceAssertion, bobAssertion] = await Promise.all([
      emulator.mintAssertion({ sub: "alice" }),
      emulator.mintAssertion({ sub: "bob" }),
    ]);
    const result = await graphql<Record<"alice" | "bob", { accessToken: string; idTokenClaims: { subject: string } }>>(
      gateway.url,
      TWO_DIFFERENT_EXCHANGES,
      { alice: { grantType: "JWT_BEARER", assertion: aliceAssertion }, bob: { grantType: "JWT_BEARER", assertion: bobAssertion } },
    );

    const { alice, bob } = dataOf(result);
    expect(alice.idTokenClaims.subject).toBe("alice");
    expect(bob.idTokenClaims.subject).toBe("bob");
    expect(alice.accessToken).not.toBe(bob.accessToken);
    expect(await emulator.createTokenWithIAMCalls()).toBe(2);
  });
});
