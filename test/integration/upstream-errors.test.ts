import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dataOf, graphql, onlyError, type GraphQLResult } from "../support/gateway-client.js";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import { ACCESS_TOKEN_TYPE, CREATE_TOKEN_MINIMAL, REDIRECT_URI } from "../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";
import { unsignedJwt } from "../support/unsigned-jwt.js";

/**
 * AWS's answers, end to end: each SSO OIDC exception reaches the caller as the design's
 * `extensions.code`, carrying AWS's description and request id, never the submitted secret.
 * UPSTREAM_TIMEOUT_MS is short so the "AWS cannot be reached in time" case stays fast.
 * Every assertion is freshly minted (unique), so the gateway's response cache never answers for AWS.
 */

const UPSTREAM_TIMEOUT_MS = 500;
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({
    env: {
      UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
      // Off here so a rotated-out refresh token meets AWS's own answer (the grace window is tested in
      // grants; the gateway's own refusal of a rotated token, in tokens/ and replicas).
      REFRESH_GRACE_SECONDS: "0",
      REFRESH_REUSE_DETECTION: "false",
      // The circuit breaker has its own tests (faults/); here every injected fault must reach the emulator.
      CIRCUIT_BREAKER_THRESHOLD: "1000",
      // Every case here is one caller (127.0.0.1) making many upstream calls: its budget is tested in hardening/.
      RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
    },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});
afterEach(async () => {
  await emulator.clearFaults();
});

async function createToken(input: Record<string, unknown>) {
  return graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input });
}

/** The shape every error that came from AWS must have. */
function expectAwsError(result: GraphQLResult, code: string, awsException: string, secrets: string[]) {
  expect(result.body.data ?? null).toBeNull();
  const error = onlyError(result);
  expect(error.path).toEqual(["createTokenWithIAM"]);
  expect(error.extensions?.code).toBe(code);
  expect(error.extensions?.awsException).toBe(awsException);
  expect(error.extensions?.awsErrorDescription).toEqual(expect.stringMatching(/\S/));
  expect(error.extensions?.awsRequestId).toEqual(expect.stringMatching(/\S/));
  for (const secret of secrets) expect(result.text).not.toContain(secret);
  return error;
}

describe("INVALID_GRANT", () => {
  it("an assertion for another audience → INVALID_GRANT with AWS's description, in one upstream call", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice", aud: "someone-else" });
    const error = expectAwsError(await createToken({ grantType: "JWT_BEARER", assertion }), "INVALID_GRANT", "InvalidGrantException", [assertion]);
    expect(error.extensions?.retryable).toBe(false);
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });

  it("an expired assertion → INVALID_GRANT from the gateway itself, without an upstream call", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice", expiresInSeconds: -3600 });
    const result = await createToken({ grantType: "JWT_BEARER", assertion });
    expect(onlyError(result).extensions).toMatchObject({ code: "INVALID_GRANT", field: "input.assertion", retryable: false });
    expect(result.text).not.toContain(assertion);
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });

  it("a JWT-shaped assertion with a forged signature → INVALID_GRANT", async () => {
    const real = await emulator.mintAssertion({ sub: "alice" });
    const [header, payload] = real.split(".");
    const forged = `${header}.${payload}.${Buffer.from("not the issuer's signature").toString("base64url")}`;
    expectAwsError(await createToken({ grantType: "JWT_BEARER", assertion: forged }), "INVALID_GRANT", "InvalidGrantException", [forged, payload!]);
  });

  it("an assertion from an unknown issuer, a garbage refresh token and an unknown subject token → INVALID_GRANT, one call each", async () => {
    const garbage = (prefix: string) => `${prefix}${randomUUID().replaceAll("-", "")}`;
    const assertion = unsignedJwt({ iss: `https://${garbage("idp-")}.example` });
    expectAwsError(await createToken({ grantType: "JWT_BEARER", assertion }), "INVALID_GRANT", "InvalidGrantException", [assertion]);
    const refreshToken = garbage("aor");
    expectAwsError(await createToken({ grantType: "REFRESH_TOKEN", refreshToken }), "INVALID_GRANT", "InvalidGrantException", [refreshToken]);
    const subjectToken = garbage("aoa");
    const exchange = await createToken({ grantType: "TOKEN_EXCHANGE", subjectToken, subjectTokenType: ACCESS_TOKEN_TYPE });
    expectAwsError(exchange, "INVALID_GRANT", "InvalidGrantException", [subjectToken]);
    expect(await emulator.createTokenWithIAMCalls()).toBe(3);
  });

  it("with the grace window off, a rotated-out refresh token → INVALID_GRANT", async () => {
    const assertion = await emulator.mintAssertion({ sub: "carol" });
    const { createTokenWithIAM: first } = dataOf(
      await graphql(gateway.url, `mutation ($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { refreshToken } }`, {
        input: { grantType: "JWT_BEARER", assertion },
      }),
    );
    const refresh = () => graphql(gateway.url, `mutation ($input: RefreshTokenInput!) { refreshToken(input: $input) { refreshToken } }`, {
      input: { refreshToken: first.refreshToken },
    });
    expect(dataOf(await refresh()).refreshToken.refreshToken).not.toBe(first.refreshToken);
    const reuse = await refresh();
    expect(reuse.body.data ?? null).toBeNull();
    const error = onlyError(reuse);
    expect(error.path).toEqual(["refreshToken"]);
    expect(error.extensions).toMatchObject({ code: "INVALID_GRANT", awsException: "InvalidGrantException", retryable: false });
    expect(reuse.text).not.toContain(first.refreshToken);
    expect(await emulator.createTokenWithIAMCalls()).toBe(3);
  });

  it("an authorization code used twice → the second use is INVALID_GRANT", async () => {
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob" });
    dataOf(await createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI }));
    const reuse = await createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI });
    expectAwsError(reuse, "INVALID_GRANT", "InvalidGrantException", [code]);
    expect(await emulator.createTokenWithIAMCalls()).toBe(2);
  });

  it("a wrong PKCE verifier → INVALID_GRANT, echoing neither the code nor the verifier", async () => {
    const { codeChallenge } = createPkcePair();
    const { codeVerifier: wrongVerifier } = createPkcePair();
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob", codeChallenge, codeChallengeMethod: "S256" });
    const result = await createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier: wrongVerifier });
    expectAwsError(result, "INVALID_GRANT", "InvalidGrantException", [code, wrongVerifier]);
  });
});

describe("INVALID_SCOPE", () => {
  it("a scope the application does not have → INVALID_SCOPE", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const result = await createToken({ grantType: "JWT_BEARER", assertion, scope: ["openid", "codewhisperer:completions"] });
    expectAwsError(result, "INVALID_SCOPE", "InvalidScopeException", [assertion]);
  });
});

describe("AWS-side faults", () => {
  it("InternalServerException → UPSTREAM_SERVER_ERROR, retryable, after the SDK's 3 attempts", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 100 });
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const error = expectAwsError(await createToken({ grantType: "JWT_BEARER", assertion }), "UPSTREAM_SERVER_ERROR", "InternalServerException", [assertion]);
    expect(error.extensions?.retryable).toBe(true);
    expect(await emulator.createTokenWithIAMCalls()).toBe(3);
  });

  it("an upstream slower than UPSTREAM_TIMEOUT_MS → UPSTREAM_UNAVAILABLE, retryable", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: UPSTREAM_TIMEOUT_MS * 4, count: 100 });
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const result = await createToken({ grantType: "JWT_BEARER", assertion });
    const error = onlyError(result);
    expect(error.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(error.extensions?.retryable).toBe(true);
    expect(result.text).not.toContain(assertion);
  });

  it("an authorization_code answer slower than UPSTREAM_TIMEOUT_MS is neither replayed nor cut short (the code is single use): AWS's tokens after exactly one upstream call", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: UPSTREAM_TIMEOUT_MS * 4, count: 100 });
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob" });
    const result = await createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI });
    expect(result.body.errors).toBeUndefined();
    expect(result.text).not.toContain(code);
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });

  it("a dropped connection on an authorization_code request → UPSTREAM_UNAVAILABLE, not replayed", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", dropConnection: true, count: 100 });
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob" });
    const result = await createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI });
    expect(onlyError(result).extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });
});

describe("every other SSO OIDC exception maps to its code", () => {
  const EXCEPTIONS: { exception: string; code: string; retryable: boolean; calls?: number }[] = [
    { exception: "ExpiredTokenException", code: "EXPIRED_TOKEN", retryable: false },
    { exception: "AccessDeniedException", code: "ACCESS_DENIED", retryable: false },
    { exception: "AuthorizationPendingException", code: "AUTHORIZATION_PENDING", retryable: true },
    { exception: "InvalidRequestException", code: "INVALID_REQUEST", retryable: false },
    { exception: "InvalidRequestRegionException", code: "INVALID_REQUEST_REGION", retryable: false },
    { exception: "UnsupportedGrantTypeException", code: "UNSUPPORTED_GRANT_TYPE", retryable: false },
    { exception: "InvalidClientException", code: "INVALID_CLIENT", retryable: false },
    { exception: "UnauthorizedClientException", code: "UNAUTHORIZED_CLIENT", retryable: false },
    // Throttling: AWS did not process the request, so the SDK's attempts (3 by default) are all made.
    { exception: "SlowDownException", code: "SLOW_DOWN", retryable: true, calls: 3 },
  ];

  it.each(EXCEPTIONS)("$exception → $code (retryable $retryable), one upstream call unless throttled", async ({ exception, code, retryable, calls = 1 }) => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", exception, count: calls });
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const error = expectAwsError(await createToken({ grantType: "JWT_BEARER", assertion }), code, exception, [assertion]);
    expect(error.extensions?.retryable).toBe(retryable);
    expect(await emulator.createTokenWithIAMCalls()).toBe(calls);
  });
});
