import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GraphQLErrorShape } from "../../support/gateway-client.js";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { ACCESS_TOKEN_TYPE, AWS_TOKEN_TYPE, REDIRECT_URI, REFRESH_TOKEN_TYPE, TOKEN_FIELDS } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Secrets never leak, anywhere the gateway writes: every grant and every failure path we can
 * provoke runs against one real gateway process at LOG_LEVEL=debug, then ALL its stdout/stderr,
 * every GraphQL error (message and extensions), and the /metrics and /readyz bodies are scanned
 * for each secret the test sent or received: assertions (and their payload/signature parts),
 * codes, PKCE verifiers, access/refresh/id tokens, identity contexts, subject tokens — plus
 * GATEWAY_SECRET and the emulator's AWS secret key. The tests run in order.
 */

const GATEWAY_SECRET = `secrets-everywhere-${randomBytes(16).toString("hex")}`;
const EMULATOR_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const NOT_ALLOWED_CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-999999999999/apl-999999999999";
const UPSTREAM_TIMEOUT_MS = 300;
const COOLDOWN_MS = 300;

const CREATE = `mutation Create($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { ...TokenFields } } ${TOKEN_FIELDS}`;
const REFRESH = `mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { ...TokenFields } } ${TOKEN_FIELDS}`;

interface Token { accessToken?: string; refreshToken?: string; idToken?: string; awsAdditionalDetails?: { identityContext?: string } }
interface Answer { status: number; data?: Record<string, Token | null> | null; errors?: GraphQLErrorShape[] }

let gateway: GatewayProcess;
let emulator: EmulatorApi;
const secrets = new Set<string>();
const errors: GraphQLErrorShape[] = [];
const codes: string[] = [];

beforeAll(async () => {
  gateway = await startGateway({
    env: {
      LOG_LEVEL: "debug", GATEWAY_SECRET, UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS), UPSTREAM_MAX_ATTEMPTS: "2",
      CIRCUIT_BREAKER_THRESHOLD: "2", CIRCUIT_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
    },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});

/** Remember a secret, and for a JWT its payload and signature too (a log could print one part). */
function remember(...values: (string | null | undefined)[]): void {
  for (const value of values) {
    if (!value) continue;
    secrets.add(value);
    const parts = value.split(".");
    if (parts.length === 3) {
      secrets.add(parts[1]!);
      secrets.add(parts[2]!);
    }
  }
}

const SECRET_FIELDS = ["assertion", "code", "refreshToken", "subjectToken", "codeVerifier"] as const;

async function send(query: string, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as Omit<Answer, "status">;
  for (const error of body.errors ?? []) {
    errors.push(error);
    codes.push(String(error.extensions?.code));
  }
  for (const token of Object.values(body.data ?? {})) {
    if (token) remember(token.accessToken, token.refreshToken, token.idToken, token.awsAdditionalDetails?.identityContext);
  }
  return { status: response.status, ...body };
}

function create(input: Record<string, unknown>): Promise<Answer> {
  for (const field of SECRET_FIELDS) remember(input[field] as string | undefined);
  return send(CREATE, { input });
}

function refresh(refreshToken: string): Promise<Answer> {
  remember(refreshToken);
  return send(REFRESH, { input: { refreshToken } });
}

const codeOf = (answer: Answer) => answer.errors?.[0]?.extensions?.code ?? "ok";
const tokenOf = (answer: Answer): Token => {
  const token = Object.values(answer.data ?? {})[0];
  if (!token) throw new Error(`expected a token, got ${JSON.stringify(answer.errors)}`);
  return token;
};
const assertion = async (body: Parameters<EmulatorApi["mintAssertion"]>[0] = {}) => {
  const minted = await emulator.mintAssertion({ sub: `user-${randomBytes(4).toString("hex")}`, ...body });
  remember(minted);
  return minted;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("runs every grant (variables and inline literals), refreshes and token exchanges", async () => {
  const jwt = tokenOf(await create({ grantType: "JWT_BEARER", assertion: await assertion() }));

  const pkce = createPkcePair();
  const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "bob", codeChallenge: pkce.codeChallenge, codeChallengeMethod: "S256" });
  const authCode = tokenOf(await create({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier: pkce.codeVerifier }));
  const plainCode = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "carol" });
  tokenOf(await create({ grantType: "AUTHORIZATION_CODE", code: plainCode, redirectUri: REDIRECT_URI }));

  const viaMutation = tokenOf(await refresh(jwt.refreshToken!));
  tokenOf(await create({ grantType: "REFRESH_TOKEN", refreshToken: viaMutation.refreshToken }));

  tokenOf(await create({ grantType: "TOKEN_EXCHANGE", subjectToken: authCode.accessToken, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: AWS_TOKEN_TYPE }));
  tokenOf(await create({ grantType: "TOKEN_EXCHANGE", subjectToken: authCode.accessToken, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: REFRESH_TOKEN_TYPE }));

  // A client that inlines the grant in the document instead of using variables.
  const inline = await assertion();
  const inlined = await send(`mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: ${JSON.stringify(inline)} }) { ...TokenFields } } ${TOKEN_FIELDS}`, {});
  tokenOf(inlined);

  expect(codes).toEqual([]);
  expect(secrets.size).toBeGreaterThan(40);
});

it("runs every failure path: AWS's rejections, the gateway's own, coercion, faults, the open circuit", async () => {
  const seen = (answer: Answer) => codeOf(answer);
  // AWS rejects the grant.
  const pkce = createPkcePair();
  const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "dave", codeChallenge: pkce.codeChallenge, codeChallengeMethod: "S256" });
  tokenOf(await create({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier: pkce.codeVerifier }));
  expect(seen(await create({ grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier: pkce.codeVerifier }))).toBe("INVALID_GRANT");
  const other = createPkcePair();
  const otherCode = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "dave", codeChallenge: other.codeChallenge, codeChallengeMethod: "S256" });
  expect(seen(await create({ grantType: "AUTHORIZATION_CODE", code: otherCode, redirectUri: REDIRECT_URI, codeVerifier: createPkcePair().codeVerifier }))).toBe("INVALID_GRANT");
  const real = await assertion();
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: `${real.split(".").slice(0, 2).join(".")}.${randomBytes(32).toString("base64url")}` }))).toBe("INVALID_GRANT");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion({ expiresInSeconds: -600 }) }))).toBe("INVALID_GRANT");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion({ aud: "someone-else" }) }))).toBe("INVALID_GRANT");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: `garbage-${randomBytes(24).toString("hex")}` }))).toBe("INVALID_GRANT");
  const rotated = tokenOf(await create({ grantType: "JWT_BEARER", assertion: await assertion() })).refreshToken!;
  const successor = tokenOf(await refresh(rotated));
  // Reusing the rotated-out refresh token at once, well within the 30 s refresh grace window: its successor again.
  const reused = await refresh(rotated);
  expect(seen(reused)).toBe("ok");
  // The same tokens (expiresIn counts down, so it may differ by a second).
  const pair = ({ accessToken, refreshToken, idToken }: typeof successor) => ({ accessToken, refreshToken, idToken });
  expect(pair(tokenOf(reused))).toEqual(pair(successor));
  expect(seen(await refresh(`aor-${randomBytes(24).toString("base64url")}`))).toBe("INVALID_GRANT");
  expect(seen(await create({ grantType: "TOKEN_EXCHANGE", subjectToken: `aoa-${randomBytes(24).toString("base64url")}`, subjectTokenType: ACCESS_TOKEN_TYPE }))).toBe("INVALID_GRANT");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion(), scope: ["openid", "not:a-scope"] }))).toBe("INVALID_SCOPE");

  // The gateway refuses the input itself.
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion(), code: `code-${randomBytes(16).toString("hex")}` }))).toBe("BAD_USER_INPUT");
  expect(seen(await create({ grantType: "AUTHORIZATION_CODE", code: `code-${randomBytes(16).toString("hex")}` }))).toBe("BAD_USER_INPUT");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion(), clientId: NOT_ALLOWED_CLIENT_ID }))).toBe("BAD_USER_INPUT");
  expect(seen(await create({ grantType: "REFRESH_TOKEN", refreshToken: `aor-${randomBytes(16).toString("hex")}`, subjectToken: `aoa-${randomBytes(16).toString("hex")}` }))).toBe("BAD_USER_INPUT");
  // Variable coercion fails around a secret (missing grantType, unknown field, wrong type elsewhere).
  expect(seen(await create({ assertion: await assertion() }))).toBe("BAD_USER_INPUT");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion(), notAField: "x" }))).toBe("BAD_USER_INPUT");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion(), scope: 42 }))).toBe("BAD_USER_INPUT");
  const refreshSecret = `aor-${randomBytes(16).toString("hex")}`;
  remember(refreshSecret);
  expect(seen(await send(REFRESH, { input: { refreshToken: refreshSecret, scope: [1, 2] } }))).toBe("BAD_USER_INPUT");
  // An inline secret in a document that fails validation.
  const inline = await assertion();
  const invalidDocument = await send(`mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: ${JSON.stringify(inline)} }) { accessTokn } }`, {});
  expect(seen(invalidDocument)).toBe("GRAPHQL_VALIDATION_FAILED");

  // Every SSO OIDC exception AWS may answer with, and the code the gateway answers it with.
  for (const [exception, code] of [["AccessDeniedException", "ACCESS_DENIED"], ["ExpiredTokenException", "EXPIRED_TOKEN"], ["InvalidClientException", "INVALID_CLIENT"],
    ["InvalidRequestException", "INVALID_REQUEST"], ["InvalidRequestRegionException", "INVALID_REQUEST_REGION"], ["UnauthorizedClientException", "UNAUTHORIZED_CLIENT"],
    ["UnsupportedGrantTypeException", "UNSUPPORTED_GRANT_TYPE"], ["AuthorizationPendingException", "AUTHORIZATION_PENDING"], ["SlowDownException", "SLOW_DOWN"]] as const) {
    // Throttling (SlowDownException) is retried, as AWS did not process the request: fault every attempt.
    await emulator.addFault({ operation: "CreateTokenWithIAM", exception, count: exception === "SlowDownException" ? 2 : 1 });
    expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion() })), exception).toBe(code);
  }
  // Upstream faults: latency past the timeout, dropped connections, 500s — then the open circuit fails fast.
  await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: UPSTREAM_TIMEOUT_MS * 4, count: 2 });
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion() }))).toBe("UPSTREAM_UNAVAILABLE");
  await sleep(COOLDOWN_MS + 50);
  tokenOf(await create({ grantType: "JWT_BEARER", assertion: await assertion() }));
  await emulator.addFault({ operation: "CreateTokenWithIAM", dropConnection: true, count: 2 });
  const authCode = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "erin" });
  expect(seen(await create({ grantType: "AUTHORIZATION_CODE", code: authCode, redirectUri: REDIRECT_URI }))).toBe("UPSTREAM_UNAVAILABLE");
  await emulator.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException" });
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion() }))).toBe("UPSTREAM_SERVER_ERROR");
  expect(seen(await create({ grantType: "JWT_BEARER", assertion: await assertion() }))).toBe("UPSTREAM_UNAVAILABLE");
  expect(seen(await refresh(`aor-${randomBytes(16).toString("hex")}`))).toBe("UPSTREAM_UNAVAILABLE");
  await emulator.clearFaults();
  await sleep(COOLDOWN_MS + 50);
  tokenOf(await create({ grantType: "JWT_BEARER", assertion: await assertion() }));

  expect(new Set(codes)).toEqual(new Set([
    "INVALID_GRANT", "INVALID_SCOPE", "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "ACCESS_DENIED", "EXPIRED_TOKEN", "INVALID_CLIENT",
    "INVALID_REQUEST", "INVALID_REQUEST_REGION", "UNAUTHORIZED_CLIENT", "UNSUPPORTED_GRANT_TYPE", "AUTHORIZATION_PENDING", "SLOW_DOWN",
    "UPSTREAM_UNAVAILABLE", "UPSTREAM_SERVER_ERROR",
  ]));
});

it("put none of those secrets in any GraphQL error message or extension", () => {
  expect(errors.length).toBeGreaterThan(30);
  const leaks = errors.flatMap((error) => {
    const text = JSON.stringify({ message: error.message, extensions: error.extensions });
    return [...secrets].filter((secret) => text.includes(secret)).map((secret) => `${String(error.extensions?.code)}: ${secret.slice(0, 12)}…`);
  });
  expect(leaks).toEqual([]);
});

it("puts none of them in the /metrics or /readyz bodies", async () => {
  for (const path of ["/metrics", "/readyz"]) {
    const response = await fetch(new URL(path, gateway.url));
    expect(response.status).toBe(200);
    const text = await response.text();
    if (path === "/metrics") expect(text).toContain("idc_gateway_upstream_calls_total{");
    expect([...secrets].filter((secret) => text.includes(secret)).map((secret) => `${path}: ${secret.slice(0, 12)}…`)).toEqual([]);
    expect(text).not.toContain(GATEWAY_SECRET);
  }
});

it("wrote none of them, nor GATEWAY_SECRET or the emulator's AWS secret key, anywhere in its debug-level output (shutdown included)", async () => {
  expect(await gateway.stop()).toBe(0);
  const output = gateway.output();
  expect(output).toContain("gateway ready");
  expect(gateway.logLines().filter((line) => line.level === 20).length).toBeGreaterThan(10); // debug lines were written
  const leaked = [...secrets].filter((secret) => output.includes(secret));
  expect(leaked.map((secret) => `${secret.slice(0, 12)}… (${secret.length} chars)`)).toEqual([]);
  expect(output).not.toContain(GATEWAY_SECRET);
  expect(output).not.toContain(EMULATOR_SECRET_ACCESS_KEY);
});
