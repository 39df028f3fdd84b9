import { afterAll, beforeAll, expect, it } from "vitest";
import { dataOf, graphql } from "../support/gateway-client.js";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import {
  ACCESS_TOKEN_TYPE, AWS_TOKEN_TYPE, CREATE_TOKEN, CREATE_TOKEN_MINIMAL, REDIRECT_URI, REFRESH_TOKEN, type TokenResponse,
} from "../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * No secret ever reaches a log line. We run every grant, a refresh, and the error paths through
 * one gateway logging at debug level (stricter than the default), stop it with SIGTERM (so its
 * output is complete, shutdown included), then scan everything the process wrote for each
 * assertion, code, verifier and token the test sent or received. The tests run in order.
 */

const GATEWAY_SECRET = "secrets-test-gateway-secret-0123456789abcdef0123";
const EMULATOR_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

let gateway: GatewayProcess;
let emulator: EmulatorApi;
const secrets = new Set<string>();

beforeAll(async () => {
  gateway = await startGateway({ env: { LOG_LEVEL: "debug", GATEWAY_SECRET } });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});

/** Remember a secret, and for a JWT its payload and signature too (a log could print one part). */
function remember(...values: (string | null | undefined)[]) {
  for (const value of values) {
    if (!value) continue;
    secrets.add(value);
    const parts = value.split(".");
    if (parts.length === 3) {
      // The header is shared by every token of one key (and the banner's example); skip it.
      secrets.add(parts[1]!);
      secrets.add(parts[2]!);
    }
  }
}

function rememberToken(token: TokenResponse) {
  remember(token.accessToken, token.refreshToken, token.idToken, token.awsAdditionalDetails?.identityContext);
}

async function createToken(input: Record<string, unknown>) {
  remember(...["assertion", "code", "refreshToken", "subjectToken", "codeVerifier"].map((key) => input[key] as string | undefined));
  return graphql<{ createTokenWithIAM: TokenResponse }>(gateway.url, CREATE_TOKEN, { input });
}

it("runs every grant, a rotating refresh and the error paths, collecting each secret sent or received", async () => {
  // JWT bearer.
  const jwt = dataOf(await createToken({ grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub: "alice" }) })).createTokenWithIAM;
  rememberToken(jwt);

  // Authorization code with PKCE.
  const { codeVerifier, codeChallenge } = createPkcePair();
  const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob", codeChallenge, codeChallengeMethod: "S256" });
  const authCode = dataOf(await createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier })).createTokenWithIAM;
  rememberToken(authCode);

  // Refresh (rotation), then the rotated-out token again (served from the grace window).
  remember(jwt.refreshToken);
  const refresh = async () => dataOf(await graphql<{ refreshToken: TokenResponse }>(gateway.url, REFRESH_TOKEN, { input: { refreshToken: jwt.refreshToken } })).refreshToken;
  const refreshed = await refresh();
  rememberToken(refreshed);
  // Within the grace window: the same tokens (expiresIn and secondsRemaining count down, so they may differ by a second).
  expect(await refresh()).toMatchObject({ accessToken: refreshed.accessToken, refreshToken: refreshed.refreshToken, idToken: refreshed.idToken });

  // Token exchange to an AWS token.
  const exchanged = dataOf(
    await createToken({ grantType: "TOKEN_EXCHANGE", subjectToken: authCode.accessToken, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: AWS_TOKEN_TYPE }),
  ).createTokenWithIAM;
  rememberToken(exchanged);

  // Error paths: reused code, wrong verifier, forged assertion, rejected input, failed coercion, an upstream fault.
  const codeOf = (result: { body: { errors?: { extensions?: { code?: string } }[] } }) => result.body.errors?.[0]?.extensions?.code;
  expect(codeOf(await createToken({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier }))).toBe("INVALID_GRANT");
  const other = createPkcePair();
  const otherCode = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob", codeChallenge: other.codeChallenge, codeChallengeMethod: "S256" });
  const wrongVerifier = createPkcePair().codeVerifier;
  expect(codeOf(await createToken({ grantType: "AUTHORIZATION_CODE", code: otherCode, redirectUri: REDIRECT_URI, codeVerifier: wrongVerifier }))).toBe("INVALID_GRANT");
  const minted = await emulator.mintAssertion({ sub: "mallory" });
  remember(minted);
  expect(codeOf(await createToken({ grantType: "JWT_BEARER", assertion: `${minted.split(".").slice(0, 2).join(".")}.Zm9yZ2Vk` }))).toBe("INVALID_GRANT");
  const withForbiddenCode = { grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub: "eve" }), code: "forbidden-code-value-0123456789" };
  expect(codeOf(await createToken(withForbiddenCode))).toBe("BAD_USER_INPUT");
  const coercionAssertion = await emulator.mintAssertion({ sub: "trent" });
  remember(coercionAssertion);
  expect(codeOf(await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { assertion: coercionAssertion } }))).toBe("BAD_USER_INPUT");
  await emulator.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 100 });
  expect(codeOf(await createToken({ grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub: "oscar" }) }))).toBe("UPSTREAM_SERVER_ERROR");
  await emulator.clearFaults();

  expect(secrets.size).toBeGreaterThan(20);
});

it("stops on SIGTERM with exit code 0 and closes the embedded emulator's port", async () => {
  const emulatorHealth = new URL("/_emulator/health", gateway.emulatorUrl!);
  expect((await fetch(emulatorHealth)).status).toBe(200);
  expect(await gateway.stop()).toBe(0);
  await expect(fetch(emulatorHealth)).rejects.toThrow();
  await expect(fetch(new URL("/healthz", gateway.url))).rejects.toThrow();
});

it("wrote none of those secrets, nor GATEWAY_SECRET or the emulator's AWS secret key, anywhere in its output", () => {
  expect(gateway.child.exitCode).not.toBeNull(); // the output is complete
  const output = gateway.output();
  expect(output).toContain("gateway ready");
  expect(secrets.size).toBeGreaterThan(20);
  const leaked = [...secrets].filter((secret) => output.includes(secret));
  expect(leaked.map((secret) => `${secret.slice(0, 12)}… (${secret.length} chars)`)).toEqual([]);
  expect(output).not.toContain(GATEWAY_SECRET);
  expect(output).not.toContain(EMULATOR_SECRET_ACCESS_KEY);
});
