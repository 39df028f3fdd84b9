/**
 * Every CreateTokenWithIAM grant succeeding against the emulator, through the unmodified SDK,
 * with the response fields checked against the contract (docs/emulator.md, "Success").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidGrantException, type CreateTokenWithIAMCommandOutput } from "@aws-sdk/client-sso-oidc";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { pkce, viaJwtBearer, viaRefreshToken, viaTokenExchange } from "../support/emulator-flows.js";
import { createTestIssuer, serveJwks, type TestIssuer } from "../support/emulator-issuer.js";
import { BUILT_IN_ISSUER, DEFAULT_REDIRECT_URIS, DEFAULT_SCOPES, GRANT, ID_TOKEN_CLAIMS, TOKEN_TYPE } from "../support/emulator-model.js";

const DEFAULT_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const SHORT_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-333333333333";
const INSTANCE = { id: "ssoins-7907aaaabbbbcccc", account: "444455556666", identityStore: "d-9067aaaabb" };

let h: TestEmulator;
let inlineIssuer: TestIssuer;
let uriIssuer: TestIssuer;
let jwksServer: Awaited<ReturnType<typeof serveJwks>>;

beforeAll(async () => {
  inlineIssuer = await createTestIssuer("https://idp.example.com", "my-app");
  uriIssuer = await createTestIssuer("https://uri-idp.example.com", "uri-app", "uri-key");
  jwksServer = await serveJwks(uriIssuer.jwks);
  const trusted = [BUILT_IN_ISSUER.issuer, inlineIssuer.issuer, uriIssuer.issuer];
  h = await startTestEmulator({
    config: {
      instanceArn: `arn:aws:sso:::instance/${INSTANCE.id}`,
      identityStoreId: INSTANCE.identityStore,
      accountId: INSTANCE.account,
      applications: [
        { clientId: DEFAULT_APP, trustedIssuers: trusted },
        { clientId: SHORT_APP, accessTokenLifetimeSeconds: 900, refreshTokenRotation: false, trustedIssuers: trusted },
      ],
      trustedIssuers: [
        { issuer: inlineIssuer.issuer, audiences: [inlineIssuer.audience], jwks: inlineIssuer.jwks },
        { issuer: uriIssuer.issuer, audiences: [uriIssuer.audience], jwksUri: jwksServer.url },
      ],
    },
  });
});

afterAll(async () => {
  await h?.stop();
  await jwksServer?.stop();
});

/** Asserts the fields every token-issuing grant shares. */
function expectIssuedTokens(out: CreateTokenWithIAMCommandOutput, expiresIn = 3600): void {
  expect(out.tokenType).toBe("Bearer");
  expect(out.expiresIn).toBe(expiresIn);
  expect(out.accessToken).toMatch(/^aoa/);
  expect(out.accessToken!.split(".")).not.toHaveLength(3); // opaque, not a JWT
  expect(out.$metadata.httpStatusCode).toBe(200);
  expect(out.$metadata.requestId).toBeTruthy();
}

/** Asserts the idToken carries every contract claim and matches awsAdditionalDetails. */
function expectIdToken(out: CreateTokenWithIAMCommandOutput, clientId: string): Record<string, unknown> {
  expect(typeof out.idToken).toBe("string");
  expect(decodeProtectedHeader(out.idToken!).alg).toBe("RS256");
  const claims = decodeJwt(out.idToken!) as Record<string, unknown>;
  for (const claim of ID_TOKEN_CLAIMS) expect(claims, `idToken claim ${claim}`).toHaveProperty([claim]);
  expect(claims.aud).toBe(clientId);
  expect(claims.iss).toBe(`https://identitycenter.amazonaws.com/${INSTANCE.id}`);
  expect(claims["aws:instance_arn"]).toBe(`arn:aws:sso:::instance/${INSTANCE.id}`);
  expect(claims["aws:instance_account"]).toBe(INSTANCE.account);
  expect(claims["aws:identity_store_id"]).toBe(INSTANCE.identityStore);
  expect(claims["aws:identity_store_arn"]).toBe(`arn:aws:identitystore::${INSTANCE.account}:identitystore/${INSTANCE.identityStore}`);
  expect(typeof claims.sub).toBe("string");
  expect(typeof claims.exp).toBe("number");
  expect(typeof claims.iat).toBe("number");
  expect(claims.exp as number).toBeGreaterThan(claims.iat as number);
  expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(60);
  expect(typeof claims["sts:identity_context"]).toBe("string");
  expect(out.awsAdditionalDetails).toEqual({ identityContext: claims["sts:identity_context"] });
  return claims;
}

describe("JWT bearer grant", () => {
  it("exchanges a built-in issuer assertion for opaque access and refresh tokens of the refresh token type", async () => {
    const out = await viaJwtBearer(h);
    expectIssuedTokens(out);
    expect(out.refreshToken).toMatch(/^aor/);
    expect(out.refreshToken).not.toBe(out.accessToken);
    expect(out.issuedTokenType).toBe(TOKEN_TYPE.refreshToken);
    expectIdToken(out, DEFAULT_APP);
  });

  it("grants the application's scopes when none are requested and exactly the requested subset otherwise", async () => {
    const all = await viaJwtBearer(h);
    expect([...(all.scope ?? [])].sort()).toEqual([...DEFAULT_SCOPES].sort());
    const subset = await viaJwtBearer(h, { scope: ["openid", "aws"] });
    expect([...(subset.scope ?? [])].sort()).toEqual(["aws", "openid"]);
  });

  it("answers expiresIn with the application's configured access token lifetime", async () => {
    const out = await viaJwtBearer(h, { clientId: SHORT_APP });
    expectIssuedTokens(out, 900);
    expectIdToken(out, SHORT_APP);
  });

  it("issues a different access token on every call", async () => {
    const [a, b] = await Promise.all([viaJwtBearer(h), viaJwtBearer(h)]);
    expect(a.accessToken).not.toBe(b.accessToken);
    expect(a.refreshToken).not.toBe(b.refreshToken);
  });

  it("identifies the user in the idToken: the same user gets the same sub, another user another", async () => {
    const alice1 = decodeJwt((await viaJwtBearer(h, { sub: "alice" })).idToken!);
    const alice2 = decodeJwt((await viaJwtBearer(h, { sub: "alice" })).idToken!);
    const bob = decodeJwt((await viaJwtBearer(h, { sub: "bob" })).idToken!);
    expect(alice2.sub).toBe(alice1.sub);
    expect(bob.sub).not.toBe(alice1.sub);
  });

  it("accepts an assertion from a configured issuer whose JWKS is given inline", async () => {
    const assertion = await inlineIssuer.sign({ sub: "carol" });
    const out = await h.createTokenWithIAM({ grantType: GRANT.jwtBearer, assertion });
    expectIssuedTokens(out);
    expectIdToken(out, DEFAULT_APP);
  });

  it("accepts an assertion from a configured issuer whose JWKS is fetched from jwksUri", async () => {
    const assertion = await uriIssuer.sign({ sub: "dave" });
    const out = await h.createTokenWithIAM({ grantType: GRANT.jwtBearer, assertion });
    expectIssuedTokens(out);
    expectIdToken(out, DEFAULT_APP);
  });

  it("signs the idToken with the key its id-token JWKS publishes, so relying parties can verify it", async () => {
    const out = await viaJwtBearer(h);
    const jwks = await h.dev.idTokenJwks();
    const { payload, protectedHeader } = await jwtVerify(out.idToken!, createLocalJWKSet(jwks as never), { audience: DEFAULT_APP });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.aud).toBe(DEFAULT_APP);
  });
});

describe("authorization code grant", () => {
  const redirectUri = DEFAULT_REDIRECT_URIS[0];

  for (const method of ["S256", "plain"] as const) {
    it(`exchanges a code issued with a PKCE ${method} challenge when the verifier matches`, async () => {
      const { verifier, challenge } = pkce(method);
      const { code } = await h.dev.authorize({ redirectUri, sub: "alice", codeChallenge: challenge, codeChallengeMethod: method });
      const out = await h.createTokenWithIAM({ grantType: GRANT.authorizationCode, code, redirectUri, codeVerifier: verifier });
      expectIssuedTokens(out);
      expect(out.refreshToken).toMatch(/^aor/);
      expect(out.issuedTokenType).toBe(TOKEN_TYPE.refreshToken);
      expectIdToken(out, DEFAULT_APP);
    });
  }

  it("exchanges a code issued without a PKCE challenge", async () => {
    const { code } = await h.dev.authorize({ redirectUri: DEFAULT_REDIRECT_URIS[1], sub: "alice" });
    const out = await h.createTokenWithIAM({ grantType: GRANT.authorizationCode, code, redirectUri: DEFAULT_REDIRECT_URIS[1] });
    expectIssuedTokens(out);
    expect(out.issuedTokenType).toBe(TOKEN_TYPE.refreshToken);
    expect([...(out.scope ?? [])].sort()).toEqual([...DEFAULT_SCOPES].sort());
    expectIdToken(out, DEFAULT_APP);
  });

  it("exchanges a code of a non-default application for tokens of that application", async () => {
    const { code } = await h.dev.authorize({ clientId: SHORT_APP, redirectUri, sub: "alice" });
    const out = await h.createTokenWithIAM({ clientId: SHORT_APP, grantType: GRANT.authorizationCode, code, redirectUri });
    expectIssuedTokens(out, 900);
    expectIdToken(out, SHORT_APP);
  });
});

describe("refresh token grant", () => {
  it("with rotation on, returns new tokens with an idToken and the same identity context, and the old refresh token then fails with InvalidGrantException", async () => {
    const first = await viaJwtBearer(h);
    const refreshed = await viaRefreshToken(h, first.refreshToken!);
    expectIssuedTokens(refreshed);
    expect(refreshed.refreshToken).toMatch(/^aor/);
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.issuedTokenType).toBe(TOKEN_TYPE.refreshToken);
    // AWS's trusted-identity-propagation plugin refreshes and then requires the identity context.
    expect(refreshed.awsAdditionalDetails).toEqual({ identityContext: first.awsAdditionalDetails!.identityContext });
    expect(decodeJwt(refreshed.idToken!)["sts:identity_context"]).toBe(first.awsAdditionalDetails!.identityContext);
    expect([...(refreshed.scope ?? [])].sort()).toEqual([...DEFAULT_SCOPES].sort());

    const reuse = await rejectionOf(viaRefreshToken(h, first.refreshToken!));
    expect(reuse).toBeInstanceOf(InvalidGrantException);
    expect(reuse.error).toBe("invalid_grant");

    const again = await viaRefreshToken(h, refreshed.refreshToken!);
    expectIssuedTokens(again);
  });

  it("narrows the scope to a requested subset on refresh", async () => {
    const first = await viaJwtBearer(h);
    const out = await h.createTokenWithIAM({ grantType: GRANT.refreshToken, refreshToken: first.refreshToken!, scope: ["openid"] });
    expectIssuedTokens(out);
    expect(out.scope).toEqual(["openid"]);
  });

  it("with rotation off, keeps accepting the same refresh token", async () => {
    const first = await viaJwtBearer(h, { clientId: SHORT_APP });
    const a = await viaRefreshToken(h, first.refreshToken!, SHORT_APP);
    const b = await viaRefreshToken(h, first.refreshToken!, SHORT_APP);
    expectIssuedTokens(a, 900);
    expectIssuedTokens(b, 900);
    expect(b.accessToken).not.toBe(a.accessToken);
  });
});

describe("token exchange grant", () => {
  it("exchanges an issued access token for an access token by default, with an idToken and no refresh token", async () => {
    const first = await viaJwtBearer(h, { sub: "erin" });
    const out = await viaTokenExchange(h, first.accessToken!);
    expectIssuedTokens(out);
    expect(out.issuedTokenType).toBe(TOKEN_TYPE.accessToken);
    expect(out.refreshToken).toBeUndefined();
    expect(out.accessToken).not.toBe(first.accessToken);
    const claims = expectIdToken(out, DEFAULT_APP);
    expect(claims.sub).toBe(decodeJwt(first.idToken!).sub);
  });

  for (const requested of [TOKEN_TYPE.accessToken, TOKEN_TYPE.awsToken]) {
    it(`answers issuedTokenType ${requested} when that type is requested`, async () => {
      const first = await viaJwtBearer(h);
      const out = await viaTokenExchange(h, first.accessToken!, requested);
      expectIssuedTokens(out);
      expect(out.issuedTokenType).toBe(requested);
      expect(out.refreshToken).toBeUndefined();
      expectIdToken(out, DEFAULT_APP);
    });
  }

  it("issues a working refresh token when a refresh token is requested, as the model documents", async () => {
    const first = await viaJwtBearer(h);
    const out = await viaTokenExchange(h, first.accessToken!, "urn:ietf:params:oauth:token-type:refresh_token");
    expect(out.issuedTokenType).toBe("urn:ietf:params:oauth:token-type:refresh_token");
    expect(out.refreshToken).toMatch(/^aor/);
    const refreshed = await viaRefreshToken(h, out.refreshToken!);
    expectIssuedTokens(refreshed);
  });

  it("narrows the scope to a requested subset on token exchange", async () => {
    const first = await viaJwtBearer(h);
    const out = await h.createTokenWithIAM({
      grantType: GRANT.tokenExchange,
      subjectToken: first.accessToken!,
      subjectTokenType: TOKEN_TYPE.accessToken,
      scope: ["openid", "aws"],
    });
    expect([...(out.scope ?? [])].sort()).toEqual(["aws", "openid"]);
  });

  it("accepts an access token obtained by refresh and one obtained by exchange as subject tokens", async () => {
    const first = await viaJwtBearer(h);
    const refreshed = await viaRefreshToken(h, first.refreshToken!);
    const exchanged = await viaTokenExchange(h, refreshed.accessToken!);
    const twice = await viaTokenExchange(h, exchanged.accessToken!);
    expectIssuedTokens(twice);
    expect(twice.issuedTokenType).toBe(TOKEN_TYPE.accessToken);
  });
});
