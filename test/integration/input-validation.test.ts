import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { graphql, onlyError } from "../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import { ACCESS_TOKEN_TYPE, CREATE_TOKEN_MINIMAL, REDIRECT_URI } from "../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * Input the gateway rejects itself: BAD_USER_INPUT naming the field, before any upstream call —
 * the emulator's stats must show zero CreateTokenWithIAM calls after each rejection.
 */

let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway();
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

/** A JWT-shaped assertion that is unique per test, so we can prove it never comes back in an error. */
function uniqueAssertion(): string {
  const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT" })).toString("base64url");
  const payload = Buffer.from(JSON.stringify({ sub: randomUUID(), iss: "https://issuer.emulator.local" })).toString("base64url");
  return `${header}.${payload}.${Buffer.from(randomUUID()).toString("base64url")}`;
}
const secret = (prefix: string) => `${prefix}${randomUUID().replaceAll("-", "")}`;

const NOT_ALLOWED_CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-999999999999";
const TOO_LONG = 20_000;

interface Case {
  name: string;
  input: () => Record<string, unknown>;
  field: string;
  /** Over a size bound the schema declares: refused before execution, not by the token service. */
  beforeExecution?: boolean;
}

const CASES: Case[] = [
  { name: "JWT_BEARER without assertion", input: () => ({ grantType: "JWT_BEARER" }), field: "input.assertion" },
  { name: "JWT_BEARER with an empty assertion", input: () => ({ grantType: "JWT_BEARER", assertion: "" }), field: "input.assertion" },
  { name: "JWT_BEARER carrying a code", input: () => ({ grantType: "JWT_BEARER", assertion: uniqueAssertion(), code: secret("code-") }), field: "input.code" },
  { name: "JWT_BEARER carrying a refreshToken", input: () => ({ grantType: "JWT_BEARER", assertion: uniqueAssertion(), refreshToken: secret("aor") }), field: "input.refreshToken" },
  { name: "JWT_BEARER with a too-long assertion", input: () => ({ grantType: "JWT_BEARER", assertion: "a".repeat(TOO_LONG) }), field: "input.assertion", beforeExecution: true },
  { name: "JWT_BEARER with a thousand scopes", input: () => ({ grantType: "JWT_BEARER", assertion: uniqueAssertion(), scope: Array.from({ length: 1000 }, (_, i) => `scope-${i}`) }), field: "input.scope", beforeExecution: true },
  { name: "AUTHORIZATION_CODE with a too-long redirectUri", input: () => ({ grantType: "AUTHORIZATION_CODE", code: secret("code-"), redirectUri: `${REDIRECT_URI}?${"a".repeat(TOO_LONG)}` }), field: "input.redirectUri", beforeExecution: true },
  { name: "AUTHORIZATION_CODE without code", input: () => ({ grantType: "AUTHORIZATION_CODE", redirectUri: REDIRECT_URI }), field: "input.code" },
  { name: "AUTHORIZATION_CODE without redirectUri", input: () => ({ grantType: "AUTHORIZATION_CODE", code: secret("code-") }), field: "input.redirectUri" },
  { name: "AUTHORIZATION_CODE carrying an assertion", input: () => ({ grantType: "AUTHORIZATION_CODE", code: secret("code-"), redirectUri: REDIRECT_URI, assertion: uniqueAssertion() }), field: "input.assertion" },
  { name: "REFRESH_TOKEN without refreshToken", input: () => ({ grantType: "REFRESH_TOKEN" }), field: "input.refreshToken" },
  { name: "REFRESH_TOKEN carrying a subjectToken", input: () => ({ grantType: "REFRESH_TOKEN", refreshToken: secret("aor"), subjectToken: secret("aoa") }), field: "input.subjectToken" },
  { name: "TOKEN_EXCHANGE without subjectToken", input: () => ({ grantType: "TOKEN_EXCHANGE", subjectTokenType: ACCESS_TOKEN_TYPE }), field: "input.subjectToken" },
  { name: "TOKEN_EXCHANGE without subjectTokenType", input: () => ({ grantType: "TOKEN_EXCHANGE", subjectToken: secret("aoa") }), field: "input.subjectTokenType" },
  { name: "TOKEN_EXCHANGE with a subjectTokenType AWS does not take", input: () => ({ grantType: "TOKEN_EXCHANGE", subjectToken: secret("aoa"), subjectTokenType: "urn:ietf:params:oauth:token-type:jwt" }), field: "input.subjectTokenType" },
  { name: "TOKEN_EXCHANGE with a requestedTokenType AWS does not issue", input: () => ({ grantType: "TOKEN_EXCHANGE", subjectToken: secret("aoa"), subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: "urn:example:not-a-token-type" }), field: "input.requestedTokenType" },
  { name: "a clientId the gateway does not allow", input: () => ({ grantType: "JWT_BEARER", assertion: uniqueAssertion(), clientId: NOT_ALLOWED_CLIENT_ID }), field: "input.clientId" },
];

/** Every string value of the input that is a secret (never expected back in an answer). */
function secretsOf(input: Record<string, unknown>): string[] {
  return ["assertion", "code", "refreshToken", "subjectToken", "codeVerifier"]
    .map((key) => input[key])
    .filter((value): value is string => typeof value === "string" && value.length > 0);
}

describe("createTokenWithIAM rejects with BAD_USER_INPUT before calling upstream", () => {
  it.each(CASES)("$name → BAD_USER_INPUT on $field, zero upstream calls", async ({ input: makeInput, field, beforeExecution }) => {
    const input = makeInput();
    const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input });

    expect(result.body.data ?? null).toBeNull();
    const error = onlyError(result);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.extensions?.field).toBe(field);
    expect(error.extensions?.retryable).toBe(false);
    // Over a size bound the schema declares (@Bounded): refused before execution (HTTP 400, no path).
    if (beforeExecution) expect([result.status, error.path]).toEqual([400, undefined]);
    else expect(error.path).toEqual(["createTokenWithIAM"]);
    for (const value of secretsOf(input)) expect(result.text).not.toContain(value);
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });
});

describe("refreshToken rejects with BAD_USER_INPUT before calling upstream", () => {
  it("an empty refreshToken → BAD_USER_INPUT on input.refreshToken, zero upstream calls", async () => {
    const result = await graphql(gateway.url, `mutation ($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }`, {
      input: { refreshToken: "" },
    });
    const error = onlyError(result);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.extensions?.field).toBe("input.refreshToken");
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });

  it("a clientId the gateway does not allow → BAD_USER_INPUT on input.clientId, and the refresh token is not echoed", async () => {
    const refreshToken = secret("aor");
    const result = await graphql(gateway.url, `mutation ($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }`, {
      input: { refreshToken, clientId: NOT_ALLOWED_CLIENT_ID },
    });
    const error = onlyError(result);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.extensions?.field).toBe("input.clientId");
    expect(result.text).not.toContain(refreshToken);
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });
});

describe("GraphQL-level rejections keep Apollo's codes", () => {
  it("a grantType outside the enum is BAD_USER_INPUT from variable coercion, naming input.grantType, with zero upstream calls", async () => {
    const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "PASSWORD", assertion: uniqueAssertion() } });
    expect(onlyError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.grantType" });
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });

  it("a grantType outside the enum is not echoed: a token pasted into the wrong field stays out of the answer", async () => {
    const pasted = secret("rt-");
    const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: pasted, assertion: uniqueAssertion() } });
    expect(onlyError(result).message).toMatch(/^Variable "\$input" got invalid value at "input.grantType"; Value does not exist in "GrantType" enum\./);
    expect(result.text).not.toContain(pasted);
  });

  it("a value written into the document where it does not fit is not echoed either (GRAPHQL_VALIDATION_FAILED)", async () => {
    const pasted = secret("rt-");
    for (const input of [`{ grantType: "${pasted}" }`, `{ grantType: JWT_BEARER, assertion: { token: "${pasted}" } }`]) {
      const result = await graphql(gateway.url, `mutation { createTokenWithIAM(input: ${input}) { accessToken } }`);
      expect(onlyError(result).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(result.text).not.toContain(pasted);
    }
  });

  it("a value written into the document where it does not fit names its field in extensions.field (the message no longer quotes the value)", async () => {
    const cases: [string, string, string][] = [
      ['mutation { createTokenWithIAM(input: { grantType: "JWT_BEARER", assertion: "x" }) { accessToken } }', "input.grantType", 'Enum "GrantType" cannot represent non-enum value.'],
      ["mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: 5 }) { accessToken } }", "input.assertion", "String cannot represent a non string value."],
      ['mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "x", scope: ["openid", 2] }) { accessToken } }', "input.scope[1]", "String cannot represent a non string value."],
      ['mutation { createTokenWithIAM(input: { assertion: "x" }) { accessToken } }', "input.grantType", 'Field "CreateTokenWithIAMInput.grantType" of required type "GrantType!" was not provided.'],
      ['mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertoin: "x" }) { accessToken } }', "input.assertoin", 'Field "assertoin" is not defined by type "CreateTokenWithIAMInput". Did you mean "assertion"?'],
      ["mutation { createTokenWithIAM(input: { grantType: null }) { accessToken } }", "input.grantType", 'Expected value of type "GrantType!".'],
      ['mutation { assumeRoleWithIdentityContext(input: { identityContext: "x", durationSeconds: "900" }) { accessKeyId } }', "input.durationSeconds", "Int cannot represent non-integer value."],
      ['{ gateway { version @include(if: "yes") } }', "@include(if)", "Boolean cannot represent a non boolean value."],
    ];
    for (const [query, field, message] of cases) {
      const result = await graphql(gateway.url, query);
      expect(result.status, query).toBe(400);
      expect(onlyError(result), query).toMatchObject({ message, extensions: { code: "GRAPHQL_VALIDATION_FAILED", field } });
    }
  });

  it("a variable that fails coercion is BAD_USER_INPUT naming the missing field, and the error does not echo the assertion it carried", async () => {
    const assertion = uniqueAssertion();
    // graphql-js prints the whole offending input object in this message unless the gateway masks it.
    const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { assertion } });
    expect(onlyError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.grantType" });
    expect(result.text).not.toContain(assertion);
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });

  it("coercion errors name their field in extensions.field, as the gateway's own input errors do (graphql-js puts it only in the message)", async () => {
    const fieldOf = async (variables: Record<string, unknown>) => onlyError(await graphql(gateway.url, CREATE_TOKEN_MINIMAL, variables)).extensions?.field;
    expect(await fieldOf({ input: { grantType: "JWT_BEARER", assertion: 5 } })).toBe("input.assertion");
    expect(await fieldOf({ input: { grantType: "JWT_BEARER", assertion: "x", refreshTokn: secret("rt-") } })).toBe("input.refreshTokn");
    expect(await fieldOf({ input: { grantType: "JWT_BEARER", assertion: "x", scope: [1] } })).toBe("input.scope[0]");
    expect(await fieldOf({ input: 5 })).toBe("input");
    expect(await fieldOf({})).toBe("input");
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });

  it("null for a required variable is BAD_USER_INPUT naming the variable, on every operation that takes one", async () => {
    const operations = [
      CREATE_TOKEN_MINIMAL,
      "mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }",
      "mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId } }",
    ];
    for (const operation of operations) {
      const error = onlyError(await graphql(gateway.url, operation, { input: null }));
      expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input" });
      expect(error.message).toMatch(/^Variable "\$input" of non-null type "\w+!" must not be null\.$/);
    }
    expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  });

  it("an unknown field is GRAPHQL_VALIDATION_FAILED", async () => {
    const result = await graphql(gateway.url, `{ gateway { noSuchField } }`);
    expect(onlyError(result).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("a syntax error is GRAPHQL_PARSE_FAILED", async () => {
    const result = await graphql(gateway.url, `mutation { createTokenWithIAM(`);
    expect(onlyError(result).extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
  });
});
