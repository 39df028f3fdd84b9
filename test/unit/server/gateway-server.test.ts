import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { capturingLogger, DEFAULT_CLIENT_ID, fakeTokenService, type FakeCall, jwt, postGraphQL, testConfig } from "./server-fixtures.js";

const ISSUED_AT = Date.now() - 60_000;
const ID_TOKEN_CLAIMS = {
  sub: "alice",
  iss: "https://identitycenter.amazonaws.com/ssoins-111111111111",
  aud: DEFAULT_CLIENT_ID,
  iat: 1_700_000_000,
  exp: 1_700_003_600,
  auth_time: "2023-11-14T22:00:00Z",
  "aws:identity_store_id": "d-1234567890",
  "aws:identity_store_arn": "arn:aws:identitystore::123456789012:identitystore/d-1234567890",
  "aws:instance_arn": "arn:aws:sso:::instance/ssoins-111111111111",
  "aws:instance_account": "123456789012",
  "aws:credential_id": "cred-1",
  "sts:identity_context": "ctx-alice",
  "sts:audit_context": "audit-alice",
};
const ISSUED: IssuedToken = {
  accessToken: "aoaAAAAAexample",
  tokenType: "Bearer",
  expiresIn: 3600,
  refreshToken: "aorvJYubGpU6i91Qexample",
  idToken: jwt(ID_TOKEN_CLAIMS),
  issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token",
  scope: ["openid", "aws", "sts:identity_context"],
  awsAdditionalDetails: { identityContext: "ctx-alice" },
  issuedAt: ISSUED_AT,
  clientId: DEFAULT_CLIENT_ID,
};

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateTokenWithIAMInput!) {
    createTokenWithIAM(input: $input) {
      accessToken tokenType expiresIn refreshToken idToken issuedTokenType scope
      awsAdditionalDetails { identityContext }
      clientId issuedAt expiresAt again: expiresAt isAwsToken isExpired secondsRemaining expiresInSeconds canRefresh
      idTokenClaims {
        subject issuer audience issuedAt expiresAt authTime identityStoreId identityStoreArn instanceArn
        instanceAccount credentialId identityContext auditContext raw
      }
    }
  }
`;

function answer(call: FakeCall): IssuedToken {
  const [, request] = call;
  if ("assertion" in request && request.assertion === "bad") {
    throw new GatewayError("BAD_USER_INPUT", "assertion must be a JWT", { field: "input.assertion" });
  }
  if ("assertion" in request && request.assertion === "boom") throw new Error("socket hang up near aoaSECRET");
  return ISSUED;
}

let server: GatewayServer;
let url: string;
const fake = fakeTokenService(answer);
const log = capturingLogger();

beforeAll(async () => {
  server = await createGatewayServer({ config: testConfig(), tokenService: fake.tokenService, logger: log.logger, upstreamLabel: "fake" });
  ({ url } = await server.listen(0, "127.0.0.1"));
});
afterAll(async () => {
  await server?.close();
});

describe("gateway server over HTTP", () => {
  it("listens on an ephemeral port and reports the /graphql URL", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(new URL(url).port).not.toBe("0");
  });

  it("answers GET /healthz with 200 {\"status\":\"ok\"}", async () => {
    const response = await fetch(new URL("/healthz", url));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"status":"ok"}');
  });

  it("returns AWS's fields and every computed field of an issued token", async () => {
    const { status, body } = await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertion: "good", scope: ["openid"] } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const token = body.data.createTokenWithIAM;
    const expiresAt = new Date(ISSUED_AT + 3_600_000).toISOString();
    expect(token).toEqual({
      accessToken: "aoaAAAAAexample",
      tokenType: "Bearer",
      expiresIn: 3600,
      refreshToken: "aorvJYubGpU6i91Qexample",
      idToken: ISSUED.idToken,
      issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token",
      scope: ["openid", "aws", "sts:identity_context"],
      awsAdditionalDetails: { identityContext: "ctx-alice" },
      clientId: DEFAULT_CLIENT_ID,
      issuedAt: new Date(ISSUED_AT).toISOString(),
      expiresAt,
      again: expiresAt,
      isAwsToken: false,
      isExpired: false,
      secondsRemaining: expect.any(Number),
      expiresInSeconds: expect.any(Number),
      canRefresh: true,
      idTokenClaims: {
        subject: "alice",
        issuer: "https://identitycenter.amazonaws.com/ssoins-111111111111",
        audience: [DEFAULT_CLIENT_ID],
        issuedAt: "2023-11-14T22:13:20.000Z",
        expiresAt: "2023-11-14T23:13:20.000Z",
        authTime: "2023-11-14T22:00:00.000Z",
        identityStoreId: "d-1234567890",
        identityStoreArn: "arn:aws:identitystore::123456789012:identitystore/d-1234567890",
        instanceArn: "arn:aws:sso:::instance/ssoins-111111111111",
        instanceAccount: "123456789012",
        credentialId: "cred-1",
        identityContext: "ctx-alice",
        auditContext: "audit-alice",
        raw: ID_TOKEN_CLAIMS,
      },
    });
    expect(token.secondsRemaining).toBeGreaterThan(3600 - 60 - 5);
    expect(token.secondsRemaining).toBeLessThanOrEqual(3600 - 60);
  });

  it("answers every GraphQL response, token or error, with cache-control: no-store", async () => {
    const post = (query: string, variables?: Record<string, unknown>) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
    const token = await post(CREATE, { input: { grantType: "JWT_BEARER", assertion: "good" } });
    const refused = await post(CREATE, { input: { grantType: "JWT_BEARER", assertion: "bad" } });
    const query = await post("{ __typename }");
    expect([token.status, refused.status, query.status]).toEqual([200, 200, 200]);
    expect([token, refused, query].map((response) => response.headers.get("cache-control"))).toEqual(["no-store", "no-store", "no-store"]);
  });

  it("hands the token service a plain request with only the fields the client sent", async () => {
    const before = fake.calls.length;
    await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertion: "good", scope: ["openid"] } });
    expect(fake.calls.slice(before)).toEqual([["createToken", { grantType: "JWT_BEARER", assertion: "good", scope: ["openid"] }]]);
  });

  it("delegates refreshToken to the token service's refresh", async () => {
    const before = fake.calls.length;
    const { body } = await postGraphQL(url, `mutation { refreshToken(input: { refreshToken: "aorv1" }) { accessToken canRefresh } }`);
    expect(body).toEqual({ data: { refreshToken: { accessToken: "aoaAAAAAexample", canRefresh: true } } });
    expect(fake.calls.slice(before)).toEqual([["refresh", { clientId: undefined, refreshToken: "aorv1", scope: undefined }]]);
  });

  it("creates one per-request token service per GraphQL request", async () => {
    const before = fake.requestServices();
    await postGraphQL(url, `mutation { a: refreshToken(input: { refreshToken: "r" }) { accessToken } b: refreshToken(input: { refreshToken: "r" }) { accessToken } }`);
    expect(fake.requestServices() - before).toBe(1);
  });

  it("surfaces a GatewayError with its code, retryable flag and field", async () => {
    const { status, body } = await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertion: "bad" } });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({
      message: "assertion must be a JWT",
      path: ["createTokenWithIAM"],
      extensions: { code: "BAD_USER_INPUT", retryable: false, field: "input.assertion" },
    });
  });

  it("masks a thrown plain Error as INTERNAL_SERVER_ERROR and logs it server-side", async () => {
    const { body } = await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertion: "boom" } });
    expect(body.errors).toEqual([
      { message: "Internal server error", locations: [{ line: 3, column: 5 }], path: ["createTokenWithIAM"], extensions: { code: "INTERNAL_SERVER_ERROR", retryable: false } },
    ]);
    expect(JSON.stringify(body)).not.toContain("aoaSECRET");
    expect(log.lines().some((line) => line.level === 50 && (line.err as { message?: string } | undefined)?.message?.includes("socket hang up"))).toBe(true);
  });

  it("keeps Apollo's code for a validation error", async () => {
    const { status, body } = await postGraphQL(url, `{ gateway { nope } }`);
    expect(status).toBe(400);
    expect(body.errors![0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("answers a variable coercion error as BAD_USER_INPUT naming the field, without echoing the variable's value", async () => {
    const secret = jwt({ sub: "alice" });
    const { status, body } = await postGraphQL(url, CREATE, { input: { assertion: secret } });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      {
        message: 'Variable "$input" got invalid value; Field "grantType" of required type "GrantType!" was not provided.',
        locations: [{ line: 2, column: 19 }],
        extensions: { code: "BAD_USER_INPUT", field: "input.grantType", retryable: false },
      },
    ]);
    expect(JSON.stringify(body)).not.toContain(secret);
  });

  it("answers Query.gateway from the configuration", async () => {
    const { body } = await postGraphQL(url, `{ gateway { version upstreamMode region supportedGrantTypes defaultClientId allowedClientIds } }`);
    expect(body.data.gateway).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      upstreamMode: "ENDPOINT",
      region: "eu-west-1",
      supportedGrantTypes: ["AUTHORIZATION_CODE", "REFRESH_TOKEN", "JWT_BEARER", "TOKEN_EXCHANGE"],
      defaultClientId: DEFAULT_CLIENT_ID,
      allowedClientIds: [DEFAULT_CLIENT_ID],
    });
  });

  it("logs one line per operation with name, duration and error codes, never the variables", async () => {
    await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertion: "bad" } });
    const line = log.lines().filter((entry) => entry.msg === "graphql request").at(-1);
    expect(line).toMatchObject({ operationName: "Create", outcome: "error", errorCodes: ["BAD_USER_INPUT"] });
    expect(typeof line?.requestId).toBe("string");
    expect(typeof line?.durationMs).toBe("number");
    expect(log.text()).not.toContain("aorvJYubGpU6i91Qexample");
    expect(log.text()).not.toContain('"assertion"');
  });

  it("cuts the operation's name to 64 characters in its line, resolved or not: a caller's 60 KB name made a 60 KB line per request", async () => {
    const name = `Op${"A".repeat(60_000)}`;
    for (const operationName of [undefined, name, "NoSuchOperation".repeat(10)]) {
      await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: `query ${name} { __typename }`, operationName }) });
      const line = log.lines().filter((entry) => entry.msg === "graphql request").at(-1)!;
      expect(String(line.operationName).length).toBeLessThanOrEqual(65);
      expect(JSON.stringify(line).length).toBeLessThan(1_000);
    }
  });

  it("never writes an operationName that names no operation in the document: it is the body's free text, a pasted token included", async () => {
    const pasted = "aorvJYubGpU6i91QexampleRefreshTokenPastedAsAnOperationName";
    await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "query Named { __typename }", operationName: pasted }) });
    const line = log.lines().filter((entry) => entry.msg === "graphql request").at(-1)!;
    expect(line).toMatchObject({ operationName: null, operationNameUnresolved: true, outcome: "refused" });
    expect(log.text()).not.toContain(pasted);
  });
});

describe("gateway server in production", () => {
  it("hides stack traces and schema suggestions", async () => {
    const production = await createGatewayServer({
      config: testConfig({ nodeEnv: "production", introspection: false }),
      tokenService: fakeTokenService(answer).tokenService,
      logger: capturingLogger().logger,
      upstreamLabel: "fake",
    });
    try {
      const { url: productionUrl } = await production.listen(0, "127.0.0.1");
      const failed = await postGraphQL(productionUrl, CREATE, { input: { grantType: "JWT_BEARER", assertion: "bad" } });
      expect(failed.body.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", retryable: false, field: "input.assertion" });
      const misspelled = await postGraphQL(productionUrl, `{ gateway { versio } }`);
      expect(misspelled.body.errors![0].message).not.toContain("Did you mean");
      expect(misspelled.body.errors![0].extensions).toEqual({ code: "GRAPHQL_VALIDATION_FAILED", retryable: false });
    } finally {
      await production.close();
    }
  });

  it("adds no stack traces outside production either (NODE_ENV defaults to development: a gateway exposed so sent its file paths)", async () => {
    const { body } = await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertion: "bad" } });
    expect(body.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", retryable: false, field: "input.assertion" });
    const misspelled = await postGraphQL(url, `{ gateway { versio } }`);
    expect(misspelled.body.errors![0].extensions).toEqual({ code: "GRAPHQL_VALIDATION_FAILED", retryable: false });
  });

  it("logs refusals of hostile input at info without a stack, at most 10 a second per code, then one warn line counting the rest", async () => {
    const before = log.lines().length;
    const callsBefore = fake.calls.length;
    const oversized = { input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(5000).fill(1) } };
    const answers = await Promise.all(Array.from({ length: 30 }, () => postGraphQL(url, CREATE, oversized)));
    expect(answers.map((answer) => [answer.status, answer.body.errors?.[0]?.extensions?.code, answer.body.errors?.[0]?.extensions?.field])).toEqual(Array(30).fill([400, "BAD_USER_INPUT", "input.scope"]));
    expect(fake.calls.length).toBe(callsBefore);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const lines = log.lines().slice(before);
    const refusals = lines.filter((line) => line.msg === "graphql request");
    expect(refusals.length).toBeLessThanOrEqual(10);
    expect(refusals.every((line) => line.level === 30 && line.outcome === "refused")).toBe(true);
    const suppressed = lines.filter((line) => /^suppressed \d+ log lines/.test(String(line.msg)));
    expect(suppressed.map((line) => [line.level, line.kind])).toEqual([[40, "refused BAD_USER_INPUT"]]);
    expect(refusals.length + Number(suppressed[0]!.suppressed)).toBe(30);
    expect(lines.filter((line) => Number(line.level) >= 50 || JSON.stringify(line).includes("stack"))).toEqual([]);
  });
});
