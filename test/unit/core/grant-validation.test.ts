import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { ASSERTION_CLOCK_SKEW_SECONDS, createGrantPrecheck, precheckGrant } from "../../../src/tokens/grant-precheck.js";
import { validateTokenRequest, type ValidTokenRequest } from "../../../src/tokens/grant-validation.js";
import type { TokenRequest } from "../../../src/tokens/token.types.js";

const DEFAULT_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const OTHER_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-333333333333";
const policy = { defaultClientId: DEFAULT_APP, allowedClientIds: [DEFAULT_APP, OTHER_APP] };

const SECRET = "SeCrEtVaLuE";
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"; // RFC 7636 appendix B, 43 chars
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

const VALID: Record<TokenRequest["grantType"], TokenRequest> = {
  JWT_BEARER: { grantType: "JWT_BEARER", assertion: `${SECRET}-assertion` },
  AUTHORIZATION_CODE: { grantType: "AUTHORIZATION_CODE", code: `${SECRET}-code`, redirectUri: "https://mywebapp.example/redirect", codeVerifier: VERIFIER },
  REFRESH_TOKEN: { grantType: "REFRESH_TOKEN", refreshToken: `${SECRET}-refresh` },
  TOKEN_EXCHANGE: { grantType: "TOKEN_EXCHANGE", subjectToken: `${SECRET}-subject`, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: "urn:amazon:webservices:token" },
};

/** Every field a grant must not carry, with a plausible value. */
const FOREIGN: Record<string, Partial<TokenRequest>> = {
  assertion: { assertion: `${SECRET}-a` },
  code: { code: `${SECRET}-c` },
  redirectUri: { redirectUri: "https://x.example/cb" },
  codeVerifier: { codeVerifier: VERIFIER },
  refreshToken: { refreshToken: `${SECRET}-r` },
  subjectToken: { subjectToken: `${SECRET}-s` },
  subjectTokenType: { subjectTokenType: ACCESS_TOKEN_TYPE },
  requestedTokenType: { requestedTokenType: ACCESS_TOKEN_TYPE },
};
const ALLOWED: Record<TokenRequest["grantType"], string[]> = {
  JWT_BEARER: ["assertion"],
  AUTHORIZATION_CODE: ["code", "redirectUri", "codeVerifier"],
  REFRESH_TOKEN: ["refreshToken"],
  TOKEN_EXCHANGE: ["subjectToken", "subjectTokenType", "requestedTokenType"],
};
const REQUIRED: Record<TokenRequest["grantType"], string[]> = {
  JWT_BEARER: ["assertion"],
  AUTHORIZATION_CODE: ["code", "redirectUri"],
  REFRESH_TOKEN: ["refreshToken"],
  TOKEN_EXCHANGE: ["subjectToken", "subjectTokenType"],
};

function rejectionOf(request: TokenRequest): { code: string; field: string | undefined; message: string } {
  try {
    validateTokenRequest(request, policy);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { code: error.code, field: error.details.field, message: error.message };
  }
  throw new Error("request was accepted");
}

const grants = Object.keys(VALID) as Array<TokenRequest["grantType"]>;

describe("validateTokenRequest accepts", () => {
  it.each(grants)("a complete %s request, applying the default clientId", (grant) => {
    const valid = validateTokenRequest(VALID[grant], policy);
    expect(valid).toEqual({ ...VALID[grant], clientId: DEFAULT_APP });
  });

  it("null for omitted fields, as GraphQL sends them", () => {
    expect(validateTokenRequest({ grantType: "JWT_BEARER", assertion: "a", clientId: null, code: null, scope: null }, policy)).toEqual({ grantType: "JWT_BEARER", assertion: "a", clientId: DEFAULT_APP });
  });

  it("an allowed non-default clientId and a scope list", () => {
    expect(validateTokenRequest({ ...VALID.REFRESH_TOKEN, clientId: OTHER_APP, scope: ["openid", "sts:identity_context"] }, policy)).toMatchObject({ clientId: OTHER_APP, scope: ["openid", "sts:identity_context"] });
  });

  it("an authorization code without codeVerifier, and a token exchange without requestedTokenType", () => {
    expect(() => validateTokenRequest({ ...VALID.AUTHORIZATION_CODE, codeVerifier: null }, policy)).not.toThrow();
    expect(() => validateTokenRequest({ ...VALID.TOKEN_EXCHANGE, requestedTokenType: null }, policy)).not.toThrow();
  });

  it.each([ACCESS_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:refresh_token", "urn:amazon:webservices:token"])(
    "requestedTokenType %s",
    (requestedTokenType) => {
      expect(validateTokenRequest({ ...VALID.TOKEN_EXCHANGE, requestedTokenType }, policy).requestedTokenType).toBe(requestedTokenType);
    },
  );
});

describe("validateTokenRequest rejects with BAD_USER_INPUT naming the field", () => {
  const missing = grants.flatMap((grant) => REQUIRED[grant].map((name) => [grant, name] as const));
  it.each(missing)("%s without %s", (grant, name) => {
    const rejection = rejectionOf({ ...VALID[grant], [name]: null });
    expect(rejection).toEqual({ code: "BAD_USER_INPUT", field: `input.${name}`, message: `input.${name} is required for grantType ${grant}` });
  });

  const forbidden = grants.flatMap((grant) => Object.keys(FOREIGN).filter((name) => !ALLOWED[grant].includes(name)).map((name) => [grant, name] as const));
  it.each(forbidden)("%s carrying %s", (grant, name) => {
    const rejection = rejectionOf({ ...VALID[grant], ...FOREIGN[name] });
    expect(rejection).toEqual({ code: "BAD_USER_INPUT", field: `input.${name}`, message: `input.${name} must not be set for grantType ${grant}` });
  });
  it("covers every grant × foreign field", () => expect(forbidden.length).toBe(7 + 5 + 7 + 5));

  const tooLong: Array<[TokenRequest["grantType"], string, number]> = [
    ["JWT_BEARER", "assertion", 8192],
    ["AUTHORIZATION_CODE", "code", 4096],
    ["AUTHORIZATION_CODE", "redirectUri", 2048],
    ["REFRESH_TOKEN", "refreshToken", 8192],
    ["TOKEN_EXCHANGE", "subjectToken", 8192],
  ];
  it.each(tooLong)("%s with %s longer than %i characters", (grant, name, max) => {
    const value = name === "redirectUri" ? `https://x.example/${"a".repeat(max)}` : "a".repeat(max + 1);
    expect(rejectionOf({ ...VALID[grant], [name]: value })).toEqual({ code: "BAD_USER_INPUT", field: `input.${name}`, message: `input.${name} must be at most ${max} characters` });
  });
  it.each(tooLong)("%s with %s at exactly the limit is accepted", (grant, name, max) => {
    const value = name === "redirectUri" ? `https://x.example/${"a".repeat(max - 18)}` : "a".repeat(max);
    expect(() => validateTokenRequest({ ...VALID[grant], [name]: value }, policy)).not.toThrow();
  });

  const bad: Array<[string, TokenRequest, string, string]> = [
    ["an empty assertion", { ...VALID.JWT_BEARER, assertion: "" }, "input.assertion", "input.assertion must not be empty"],
    ["a relative redirectUri", { ...VALID.AUTHORIZATION_CODE, redirectUri: "/callback" }, "input.redirectUri", "input.redirectUri must be an absolute URI (scheme:…) without spaces"],
    ["a redirectUri with spaces", { ...VALID.AUTHORIZATION_CODE, redirectUri: "https://x.example/a b" }, "input.redirectUri", "input.redirectUri must be an absolute URI (scheme:…) without spaces"],
    ["a short codeVerifier", { ...VALID.AUTHORIZATION_CODE, codeVerifier: "a".repeat(42) }, "input.codeVerifier", 'input.codeVerifier must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~" (RFC 7636)'],
    ["a long codeVerifier", { ...VALID.AUTHORIZATION_CODE, codeVerifier: "a".repeat(129) }, "input.codeVerifier", 'input.codeVerifier must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~" (RFC 7636)'],
    ["a codeVerifier outside the alphabet", { ...VALID.AUTHORIZATION_CODE, codeVerifier: `${"a".repeat(42)}+` }, "input.codeVerifier", 'input.codeVerifier must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~" (RFC 7636)'],
    ["a refresh_token subjectTokenType", { ...VALID.TOKEN_EXCHANGE, subjectTokenType: "urn:ietf:params:oauth:token-type:refresh_token" }, "input.subjectTokenType", `input.subjectTokenType must be one of ${ACCESS_TOKEN_TYPE}`],
    ["an unknown requestedTokenType", { ...VALID.TOKEN_EXCHANGE, requestedTokenType: "urn:x:jwt" }, "input.requestedTokenType", "input.requestedTokenType must be one of urn:ietf:params:oauth:token-type:access_token, urn:ietf:params:oauth:token-type:refresh_token, urn:amazon:webservices:token"],
    ["an id token as requestedTokenType (the model does not issue one by exchange)", { ...VALID.TOKEN_EXCHANGE, requestedTokenType: "urn:ietf:params:oauth:token-type:id_token" }, "input.requestedTokenType", "input.requestedTokenType must be one of urn:ietf:params:oauth:token-type:access_token, urn:ietf:params:oauth:token-type:refresh_token, urn:amazon:webservices:token"],
    ["an empty scope list", { ...VALID.JWT_BEARER, scope: [] }, "input.scope", "input.scope must have 1 to 50 items (omit it for the application's default scopes)"],
    ["51 scopes", { ...VALID.JWT_BEARER, scope: Array.from({ length: 51 }, (_, i) => `s${i}`) }, "input.scope", "input.scope must have 1 to 50 items"],
    ["an empty scope item", { ...VALID.JWT_BEARER, scope: ["openid", ""] }, "input.scope", "input.scope items must not be empty"],
    ["a scope item of 257 characters", { ...VALID.JWT_BEARER, scope: ["a".repeat(257)] }, "input.scope", "input.scope items must be at most 256 characters"],
    ["a scope item with a space", { ...VALID.JWT_BEARER, scope: ["openid aws"] }, "input.scope", "input.scope items must be printable ASCII without spaces, quotes or backslashes"],
    ["a clientId that is not allowed", { ...VALID.JWT_BEARER, clientId: "arn:aws:sso::999999999999:application/ssoins-9/apl-9" }, "input.clientId", "input.clientId must be one of the applications this gateway is configured for (ALLOWED_CLIENT_IDS), or omitted for the default"],
    ["an empty clientId", { ...VALID.JWT_BEARER, clientId: "" }, "input.clientId", "input.clientId must be one of the applications this gateway is configured for (ALLOWED_CLIENT_IDS), or omitted for the default"],
    ["an unknown grantType", { grantType: "PASSWORD" as TokenRequest["grantType"] }, "input.grantType", "input.grantType must be one of JWT_BEARER, AUTHORIZATION_CODE, REFRESH_TOKEN, TOKEN_EXCHANGE"],
  ];
  it.each(bad)("%s", (_label, request, field, message) => {
    expect(rejectionOf(request)).toEqual({ code: "BAD_USER_INPUT", field, message });
  });

  it("never echoes a secret value in any rejection message", () => {
    const messages = [
      ...grants.flatMap((grant) => Object.keys(FOREIGN).filter((name) => !ALLOWED[grant].includes(name)).map((name) => rejectionOf({ ...VALID[grant], ...FOREIGN[name] }).message)),
      rejectionOf({ ...VALID.JWT_BEARER, assertion: `${SECRET}${"x".repeat(9000)}` }).message,
      rejectionOf({ ...VALID.AUTHORIZATION_CODE, codeVerifier: `${SECRET}!` }).message,
      rejectionOf({ ...VALID.JWT_BEARER, clientId: SECRET }).message,
    ];
    for (const message of messages) expect(message).not.toContain(SECRET);
  });
});

describe("precheckGrant refuses, with INVALID_GRANT on input.assertion and never the assertion in its message, an assertion", () => {
  const NOW_MS = Date.UTC(2026, 0, 1);
  const nowSeconds = NOW_MS / 1000;
  const part = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
  const jwtOf = (payload: unknown, header: unknown = { alg: "RS256" }) => `${part(header)}.${part(payload)}.${part(`${SECRET}-signature`)}`;
  const valid = (assertion: string): ValidTokenRequest => ({ grantType: "JWT_BEARER", clientId: DEFAULT_APP, assertion });
  const refusalOf = (assertion: string, trustedTokenIssuers?: readonly string[]) => {
    try {
      precheckGrant(valid(assertion), { trustedTokenIssuers }, NOW_MS);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      expect(error.message).not.toContain(SECRET);
      return { code: error.code, field: error.details.field, message: error.message };
    }
    return undefined;
  };

  it.each([
    ["of one part", `${SECRET}-assertion`, /not a well-formed JWT/],
    ["of two parts", `${part({ alg: "RS256" })}.${part({ sub: SECRET })}`, /not a well-formed JWT/],
    ["of five parts (a JWE)", `a.b.c.d.${SECRET}`, /not a well-formed JWT/],
    ["with an empty signature", `${part({ alg: "RS256" })}.${part({ sub: SECRET })}.`, /not a well-formed JWT/],
    ["with characters outside base64url", `${part({ alg: "RS256" })}.${part({ sub: SECRET })}+/=.${part("sig")}`, /not a well-formed JWT/],
    ["whose header is not JSON", `${part(`${SECRET}{`)}.${part({ sub: "a" })}.${part("sig")}`, /header is not a JSON object/],
    ["whose header is a JSON array", jwtOf({ sub: SECRET }, ["RS256"]), /header is not a JSON object/],
    ["whose payload is not JSON", `${part({ alg: "RS256" })}.${part(`${SECRET}}`)}.${part("sig")}`, /payload is not a JSON object/],
    ["whose payload is JSON null", jwtOf(null), /payload is not a JSON object/],
    ["whose exp has passed (beyond the clock skew)", jwtOf({ sub: SECRET, exp: nowSeconds - ASSERTION_CLOCK_SKEW_SECONDS - 1 }), /has expired/],
  ])("%s", (_name, assertion, message) => {
    expect(refusalOf(assertion)).toEqual({ code: "INVALID_GRANT", field: "input.assertion", message: expect.stringMatching(message) });
  });

  it("whose iss is not in TRUSTED_TOKEN_ISSUERS, or that has none, when the operator lists them", () => {
    const trusted = ["https://idp.example"];
    expect(refusalOf(jwtOf({ iss: `https://${SECRET}.example`, sub: "a" }), trusted)).toMatchObject({ code: "INVALID_GRANT", message: expect.stringMatching(/TRUSTED_TOKEN_ISSUERS/) });
    expect(refusalOf(jwtOf({ sub: "a" }), trusted)).toMatchObject({ code: "INVALID_GRANT" });
    expect(refusalOf(jwtOf({ iss: ["https://idp.example"], sub: "a" }), trusted)).toMatchObject({ code: "INVALID_GRANT" });
  });
});

describe("precheckGrant lets through, for AWS to decide", () => {
  const NOW_MS = Date.UTC(2026, 0, 1);
  const nowSeconds = NOW_MS / 1000;
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const jwtOf = (payload: unknown) => `${part({ alg: "RS256" })}.${part(payload)}.${part("sig")}`;
  const passes = (request: ValidTokenRequest, trustedTokenIssuers?: readonly string[]) => () => precheckGrant(request, { trustedTokenIssuers }, NOW_MS);
  const bearer = (assertion: string): ValidTokenRequest => ({ grantType: "JWT_BEARER", clientId: DEFAULT_APP, assertion });

  it("a well-formed assertion whatever its signature, audience or issuer when TRUSTED_TOKEN_ISSUERS is unset", () => {
    expect(passes(bearer(jwtOf({ iss: "https://anyone.example", aud: "x", exp: nowSeconds + 60 })))).not.toThrow();
  });

  it(`an assertion expired less than ${ASSERTION_CLOCK_SKEW_SECONDS} s ago (clock skew), or without a numeric exp`, () => {
    expect(passes(bearer(jwtOf({ exp: nowSeconds - ASSERTION_CLOCK_SKEW_SECONDS + 1 })))).not.toThrow();
    expect(passes(bearer(jwtOf({ exp: "soon" })))).not.toThrow();
    expect(passes(bearer(jwtOf({})))).not.toThrow();
  });

  it("an assertion whose iss is listed", () => {
    expect(passes(bearer(jwtOf({ iss: "https://idp.example" })), ["https://other.example", "https://idp.example"])).not.toThrow();
  });

  it("every other grant untouched: refresh tokens, codes and Identity Center access tokens are opaque", () => {
    expect(passes({ ...VALID.REFRESH_TOKEN, clientId: DEFAULT_APP } as ValidTokenRequest, ["https://idp.example"])).not.toThrow();
    expect(passes({ ...VALID.TOKEN_EXCHANGE, clientId: DEFAULT_APP } as ValidTokenRequest, ["https://idp.example"])).not.toThrow();
    expect(passes({ ...VALID.AUTHORIZATION_CODE, clientId: DEFAULT_APP } as ValidTokenRequest, ["https://idp.example"])).not.toThrow();
  });
});

describe("createGrantPrecheck", () => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const bearer = (payload: unknown): ValidTokenRequest => ({ grantType: "JWT_BEARER", clientId: DEFAULT_APP, assertion: `${part({ alg: "RS256" })}.${part(payload)}.${part("sig")}` });

  it("remembers a passing verdict by fingerprint yet compares its exp with the clock on every check", () => {
    const precheck = createGrantPrecheck({});
    const exp = 1_800_000_000;
    precheck.check(bearer({ exp }), "fp-1", exp * 1000);
    expect(() => precheck.check(bearer({ exp }), "fp-1", (exp + ASSERTION_CLOCK_SKEW_SECONDS + 1) * 1000)).toThrow(expect.objectContaining({ code: "INVALID_GRANT" }));
  });

  it("judges a refused assertion again each time (refusals are not remembered), and stays bounded", () => {
    const precheck = createGrantPrecheck({ trustedTokenIssuers: ["https://idp.example"] }, { maxEntries: 2 });
    for (let i = 0; i < 2; i += 1) expect(() => precheck.check(bearer({ iss: "https://evil.example" }), "fp-evil")).toThrow(expect.objectContaining({ code: "INVALID_GRANT" }));
    for (let i = 0; i < 5; i += 1) expect(() => precheck.check(bearer({ iss: "https://idp.example", n: i }), `fp-${i}`)).not.toThrow();
  });
});
