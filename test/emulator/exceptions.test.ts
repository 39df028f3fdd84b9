/**
 * Every exception of the model that has a natural trigger, raised by the emulator as the SDK's own
 * class (the contract's checks, in order). exception-faults.test.ts covers the rest via faults.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegisterClientCommand } from "@aws-sdk/client-sso-oidc";
import { rejectionOf, sleep, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { freshTokens, pkce, viaRefreshToken, viaTokenExchange } from "../support/emulator-flows.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { createTestIssuer, type TestIssuer } from "../support/emulator-issuer.js";
import { BUILT_IN_ISSUER, DEFAULT_REDIRECT_URIS, GRANT, TOKEN_TYPE } from "../support/emulator-model.js";

const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const OTHER_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-444444444444";
const CODE_ONLY_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-555555555555";
const RATE_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-666666666666";
const SHORT_LIVED_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-777777777777";
const UNKNOWN_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-999999999999";
const [REDIRECT, OTHER_REDIRECT] = DEFAULT_REDIRECT_URIS;

let h: TestEmulator;
let west: TestEmulator;
let shortCodes: TestEmulator;
let trustedIssuer: TestIssuer;
let untrustedIssuer: TestIssuer;

beforeAll(async () => {
  trustedIssuer = await createTestIssuer("https://idp.example.com", "my-app");
  untrustedIssuer = await createTestIssuer("https://other.example.com", "x");
  const issuers = [BUILT_IN_ISSUER.issuer, trustedIssuer.issuer];
  [h, west, shortCodes] = await Promise.all([
    startTestEmulator({
      config: {
        applications: [
          { clientId: APP, trustedIssuers: issuers },
          { clientId: OTHER_APP, trustedIssuers: issuers },
          { clientId: CODE_ONLY_APP, grants: ["authorization_code", "refresh_token"] },
          { clientId: RATE_APP, rateLimitPerSecond: 2 },
          { clientId: SHORT_LIVED_APP, accessTokenLifetimeSeconds: 1, refreshTokenLifetimeSeconds: 1 },
        ],
        trustedIssuers: [
          { issuer: trustedIssuer.issuer, audiences: [trustedIssuer.audience], jwks: trustedIssuer.jwks },
          { issuer: untrustedIssuer.issuer, audiences: [untrustedIssuer.audience], jwks: untrustedIssuer.jwks },
        ],
      },
    }),
    startTestEmulator({ region: "eu-west-1" }),
    startTestEmulator({ config: { authorizationCodeLifetimeSeconds: 1 } }),
  ]);
});

afterAll(async () => {
  await Promise.all([h?.stop(), west?.stop(), shortCodes?.stop()]);
});

const jwt = (assertion: string, clientId = APP) => h.createTokenWithIAM({ clientId, grantType: GRANT.jwtBearer, assertion });

describe("request checks, in the contract's order", () => {
  const cases: Array<[string, Record<string, unknown>, Parameters<typeof expectAwsException>[1]]> = [
    ["no clientId", { clientId: undefined, grantType: GRANT.jwtBearer, assertion: "x" }, "InvalidRequestException"],
    ["no grantType", { grantType: undefined, assertion: "x" }, "InvalidRequestException"],
    ["no clientId and an unknown grant type", { clientId: undefined, grantType: "password" }, "InvalidRequestException"],
    ["an unknown clientId", { clientId: UNKNOWN_APP, grantType: GRANT.jwtBearer, assertion: "x" }, "InvalidClientException"],
    ["an unknown clientId and an unknown grant type", { clientId: UNKNOWN_APP, grantType: "password" }, "InvalidClientException"],
    ["grant type password", { grantType: "password" }, "UnsupportedGrantTypeException"],
    ["the device code grant (not one of CreateTokenWithIAM's four)", { grantType: GRANT.deviceCode, deviceCode: "x" }, "UnsupportedGrantTypeException"],
    ["an unsupported grant type and a bad scope", { grantType: "password", scope: ["admin:all"] }, "UnsupportedGrantTypeException"],
    ["a grant the application does not allow", { clientId: CODE_ONLY_APP, grantType: GRANT.jwtBearer, assertion: "x" }, "UnauthorizedClientException"],
    ["a disallowed grant and a bad scope", { clientId: CODE_ONLY_APP, grantType: GRANT.jwtBearer, scope: ["admin:all"] }, "UnauthorizedClientException"],
    ["a scope outside the application's scopes", { grantType: GRANT.jwtBearer, assertion: "x", scope: ["openid", "admin:all"] }, "InvalidScopeException"],
    ["a bad scope and no assertion", { grantType: GRANT.jwtBearer, scope: ["admin:all"] }, "InvalidScopeException"],
    ["JWT bearer without assertion", { grantType: GRANT.jwtBearer }, "InvalidRequestException"],
    ["authorization code without code", { grantType: GRANT.authorizationCode, redirectUri: REDIRECT }, "InvalidRequestException"],
    ["authorization code without redirectUri", { grantType: GRANT.authorizationCode, code: "abc" }, "InvalidRequestException"],
    ["refresh token grant without refreshToken", { grantType: GRANT.refreshToken }, "InvalidRequestException"],
    ["token exchange without subjectToken", { grantType: GRANT.tokenExchange, subjectTokenType: TOKEN_TYPE.accessToken }, "InvalidRequestException"],
    ["token exchange without subjectTokenType", { grantType: GRANT.tokenExchange, subjectToken: "aoa-x" }, "InvalidRequestException"],
  ];
  for (const [what, input, name] of cases) {
    it(`answers ${name} for ${what}`, async () => {
      expectAwsException(await rejectionOf(h.createTokenWithIAM(input as never)), name);
    });
  }
});

describe("JWT bearer assertion checks answer InvalidGrantException saying which check failed", () => {
  it("rejects an assertion whose signature does not verify", async () => {
    const good = await trustedIssuer.sign();
    const [head, body, sig] = good.split(".");
    const flipped = `${sig!.slice(0, -4)}${sig!.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const e = expectAwsException(await rejectionOf(jwt(`${head}.${body}.${flipped}`)), "InvalidGrantException");
    expect(e.error_description).toMatch(/signature/i);
  });

  it("rejects an assertion signed by another key under the issuer's key id", async () => {
    const impostor = await createTestIssuer(trustedIssuer.issuer, trustedIssuer.audience, trustedIssuer.kid);
    const e = expectAwsException(await rejectionOf(jwt(await impostor.sign())), "InvalidGrantException");
    expect(e.error_description).toMatch(/signature/i);
  });

  it("rejects an expired assertion", async () => {
    const now = Math.floor(Date.now() / 1000);
    const e = expectAwsException(await rejectionOf(jwt(await trustedIssuer.sign({ iat: now - 600, exp: now - 300 }))), "InvalidGrantException");
    expect(e.error_description).toMatch(/exp/i);
  });

  it("rejects an assertion that is not yet valid (nbf in the future)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const e = expectAwsException(await rejectionOf(jwt(await trustedIssuer.sign({ nbf: now + 600, exp: now + 900 }))), "InvalidGrantException");
    expect(e.error_description).toMatch(/nbf|not before|not yet/i);
  });

  it("rejects an assertion for another audience", async () => {
    const e = expectAwsException(await rejectionOf(jwt(await trustedIssuer.sign({ aud: "someone-else" }))), "InvalidGrantException");
    expect(e.error_description).toMatch(/aud/i);
    const { assertion } = await h.dev.assertion({ sub: "alice", aud: "someone-else" });
    expectAwsException(await rejectionOf(jwt(assertion)), "InvalidGrantException");
  });

  it("rejects an assertion from an issuer the emulator does not know", async () => {
    const { assertion } = await h.dev.assertion({ sub: "alice", iss: "https://evil.example" });
    const e = expectAwsException(await rejectionOf(jwt(assertion)), "InvalidGrantException");
    expect(e.error_description).toMatch(/iss/i);
  });

  it("rejects an assertion from a configured issuer the application does not trust", async () => {
    const e = expectAwsException(await rejectionOf(jwt(await untrustedIssuer.sign())), "InvalidGrantException");
    expect(e.error_description).toMatch(/iss|trust/i);
  });

  it("rejects built-in issuer assertions that are expired or not yet valid", async () => {
    const expired = await h.dev.assertion({ sub: "alice", expiresInSeconds: -60 });
    expect(expectAwsException(await rejectionOf(jwt(expired.assertion)), "InvalidGrantException").error_description).toMatch(/exp/i);
    const early = await h.dev.assertion({ sub: "alice", notBeforeSeconds: 300 });
    expect(expectAwsException(await rejectionOf(jwt(early.assertion)), "InvalidGrantException").error_description).toMatch(/nbf|not before|not yet/i);
  });

  it("rejects unsigned (alg none) and HMAC-signed assertions carrying the issuer's key id", async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const claims = b64({ iss: trustedIssuer.issuer, aud: trustedIssuer.audience, sub: "alice", iat: now, exp: now + 300 });
    const none = `${b64({ alg: "none", typ: "JWT", kid: trustedIssuer.kid })}.${claims}.`;
    expectAwsException(await rejectionOf(jwt(none)), "InvalidGrantException");
    const hsHeader = b64({ alg: "HS256", typ: "JWT", kid: trustedIssuer.kid });
    const secret = JSON.stringify(trustedIssuer.jwks.keys[0]);
    const mac = createHmac("sha256", secret).update(`${hsHeader}.${claims}`).digest("base64url");
    expectAwsException(await rejectionOf(jwt(`${hsHeader}.${claims}.${mac}`)), "InvalidGrantException");
  });

  it("rejects an assertion that is not a JWT", async () => {
    expectAwsException(await rejectionOf(jwt("not-a-jwt")), "InvalidGrantException");
  });
});

describe("authorization code checks answer InvalidGrantException", () => {
  const exchange = (code: string, extra: Record<string, unknown> = {}, target = h) =>
    target.createTokenWithIAM({ grantType: GRANT.authorizationCode, code, redirectUri: REDIRECT, ...extra });

  it("rejects a code used a second time", async () => {
    const { code } = await h.dev.authorize({ redirectUri: REDIRECT, sub: "alice" });
    await exchange(code);
    expectAwsException(await rejectionOf(exchange(code)), "InvalidGrantException");
  });

  it("rejects a code with the wrong PKCE verifier, S256 and plain", async () => {
    for (const method of ["S256", "plain"] as const) {
      const { challenge } = pkce(method);
      const { code } = await h.dev.authorize({ redirectUri: REDIRECT, sub: "alice", codeChallenge: challenge, codeChallengeMethod: method });
      expectAwsException(await rejectionOf(exchange(code, { codeVerifier: pkce(method).verifier })), "InvalidGrantException");
    }
  });

  it("rejects a code issued with a PKCE challenge when no verifier is sent", async () => {
    const { challenge } = pkce("S256");
    const { code } = await h.dev.authorize({ redirectUri: REDIRECT, sub: "alice", codeChallenge: challenge, codeChallengeMethod: "S256" });
    expectAwsException(await rejectionOf(exchange(code)), "InvalidGrantException");
  });

  it("rejects a code presented with another of the application's redirect URIs", async () => {
    const { code } = await h.dev.authorize({ redirectUri: REDIRECT, sub: "alice" });
    expectAwsException(await rejectionOf(exchange(code, { redirectUri: OTHER_REDIRECT })), "InvalidGrantException");
  });

  it("rejects a code issued to another application", async () => {
    const { code } = await h.dev.authorize({ clientId: OTHER_APP, redirectUri: REDIRECT, sub: "alice" });
    expectAwsException(await rejectionOf(exchange(code, { clientId: APP })), "InvalidGrantException");
  });

  it("rejects a code it never issued", async () => {
    expectAwsException(await rejectionOf(exchange("made-up-code")), "InvalidGrantException");
  });

  it("rejects a code after authorizationCodeLifetimeSeconds", async () => {
    const { code } = await shortCodes.dev.authorize({ redirectUri: REDIRECT, sub: "alice" });
    await sleep(1300);
    expectAwsException(await rejectionOf(exchange(code, {}, shortCodes)), "InvalidGrantException");
  });
});

describe("refresh and token exchange checks", () => {
  it("rejects a rotated-out refresh token with InvalidGrantException", async () => {
    const { refreshToken } = await freshTokens(h);
    await viaRefreshToken(h, refreshToken);
    expectAwsException(await rejectionOf(viaRefreshToken(h, refreshToken)), "InvalidGrantException");
  });

  it("rejects a refresh token it never issued, and one issued to another application, with InvalidGrantException", async () => {
    expectAwsException(await rejectionOf(viaRefreshToken(h, "aor-made-up")), "InvalidGrantException");
    const { refreshToken } = await freshTokens(h, { clientId: OTHER_APP });
    expectAwsException(await rejectionOf(viaRefreshToken(h, refreshToken, APP)), "InvalidGrantException");
  });

  it("rejects a refresh token presented as subject token, and an access token presented as refresh token", async () => {
    const tokens = await freshTokens(h);
    expectAwsException(await rejectionOf(viaTokenExchange(h, tokens.refreshToken)), "InvalidGrantException");
    expectAwsException(await rejectionOf(viaRefreshToken(h, tokens.accessToken)), "InvalidGrantException");
  });

  it("rejects a subject token it never issued with InvalidGrantException", async () => {
    expectAwsException(await rejectionOf(viaTokenExchange(h, "aoa-made-up")), "InvalidGrantException");
  });

  it("rejects an expired subject token with ExpiredTokenException", async () => {
    const { accessToken } = await freshTokens(h, { clientId: SHORT_LIVED_APP });
    await sleep(1300);
    expectAwsException(await rejectionOf(viaTokenExchange(h, accessToken, undefined, SHORT_LIVED_APP)), "ExpiredTokenException");
  });

  it("rejects an expired refresh token with InvalidGrantException (expired, or swept as unknown: the same answer)", async () => {
    const { refreshToken } = await freshTokens(h, { clientId: SHORT_LIVED_APP });
    await sleep(1300);
    expectAwsException(await rejectionOf(viaRefreshToken(h, refreshToken, SHORT_LIVED_APP)), "InvalidGrantException");
  });

  it("lets exactly one of five concurrent refreshes with the same rotating refresh token win", async () => {
    const { refreshToken } = await freshTokens(h);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => viaRefreshToken(h, refreshToken)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expectAwsException(r.reason, "InvalidGrantException");
  });

  it("rejects tokens issued in another region with InvalidRequestRegionException naming endpoint and region", async () => {
    const fromWest = await freshTokens(west);
    for (const attempt of [viaRefreshToken(h, fromWest.refreshToken), viaTokenExchange(h, fromWest.accessToken)]) {
      const e = expectAwsException(await rejectionOf(attempt), "InvalidRequestRegionException");
      expect(e.region).toBe("eu-west-1");
      expect(typeof e.endpoint).toBe("string");
      expect(e.endpoint.length).toBeGreaterThan(0);
    }
  });

  it("answers SlowDownException beyond the application's rateLimitPerSecond", async () => {
    const assertions = await Promise.all(Array.from({ length: 10 }, () => h.dev.assertion({ sub: "alice" })));
    const results = await Promise.allSettled(assertions.map(({ assertion }) => jwt(assertion, RATE_APP)));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    // 10 concurrent calls at 2 per second: even spread over three one-second windows, 4 must be refused
    expect(rejected.length).toBeGreaterThanOrEqual(4);
    for (const r of rejected) expectAwsException(r.reason, "SlowDownException");
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
  });
});

describe("client metadata checks of RegisterClient", () => {
  it("answers InvalidClientMetadataException for a client type other than public", async () => {
    const e = await rejectionOf(h.client().send(new RegisterClientCommand({ clientName: "cli", clientType: "confidential" })));
    expectAwsException(e, "InvalidClientMetadataException");
  });

  it("answers InvalidRedirectUriException for a redirect URI that is not an absolute URI (as AWS does)", async () => {
    const command = new RegisterClientCommand({ clientName: "cli", clientType: "public", redirectUris: ["not a uri"] });
    expectAwsException(await rejectionOf(h.client().send(command)), "InvalidRedirectUriException");
  });
});
