import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { REDACTED, SCHEMA_GRANT_INPUTS, SECRET_FIELDS, secretValue } from "../../support/secret-fields.js";
import { capturingLogger, DEFAULT_CLIENT_ID, fakeTokenService, postGraphQL, testConfig } from "./server-fixtures.js";

/**
 * The server's own ways to a log line or an answer, each given secrets on purpose:
 * - the request-logging plugin's "unexpected error" line, for an error that carries every secret
 *   field the tests know (its err is logged, so each field must show as redacted), while the
 *   caller gets only the masked INTERNAL_SERVER_ERROR;
 * - the "graphql request" line and the GraphQL error formatter, for each grant input sent in
 *   variables (answered, refused by variable coercion) and inline in a document that fails validation.
 * The token service is the fixtures' fake: a resolver's unexpected error is a bug, which no real
 * part produces on demand.
 */

const MASKED_ERROR = "resolver failed unexpectedly";
const CREATE = "mutation Create($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { tokenType expiresIn } }";

/** A valid grant of the schema carrying `value` in `field`. */
const GRANT_CARRYING: Record<(typeof SCHEMA_GRANT_INPUTS)[number], (value: string) => Record<string, unknown>> = {
  assertion: (value) => ({ grantType: "JWT_BEARER", assertion: value }),
  code: (value) => ({ grantType: "AUTHORIZATION_CODE", code: value, redirectUri: "https://app.example/callback" }),
  codeVerifier: (value) => ({ grantType: "AUTHORIZATION_CODE", code: "AuthCode1", redirectUri: "https://app.example/callback", codeVerifier: value }),
  refreshToken: (value) => ({ grantType: "REFRESH_TOKEN", refreshToken: value }),
  subjectToken: (value) => ({ grantType: "TOKEN_EXCHANGE", subjectToken: value, subjectTokenType: "urn:ietf:params:oauth:token-type:access_token" }),
};

const ISSUED: IssuedToken = { accessToken: "aoa-issued", tokenType: "Bearer", expiresIn: 3600, issuedAt: Date.now(), clientId: DEFAULT_CLIENT_ID };

/** Every secret field the tests know, each with its own value, on one error: the masked-error line must redact them all. */
const plantedValues = new Map(SECRET_FIELDS.map((field) => [field, secretValue(field)]));
let failNext = false;

const log = capturingLogger();
const fake = fakeTokenService(() => {
  if (!failNext) return ISSUED;
  failNext = false;
  throw Object.assign(new Error(MASKED_ERROR), Object.fromEntries(plantedValues));
});
let server: GatewayServer;
let url: string;

beforeAll(async () => {
  server = await createGatewayServer({ config: testConfig(), tokenService: fake.tokenService, logger: log.logger, upstreamLabel: "fake" });
  ({ url } = await server.listen(0, "127.0.0.1"));
});
afterAll(async () => {
  await server?.close();
});

const requestLines = () => log.lines().filter((line) => line.msg === "graphql request");

describe("an unexpected resolver error carrying every secret field", () => {
  let answer: Awaited<ReturnType<typeof postGraphQL>>;
  let errorLine: Record<string, unknown>;

  beforeAll(async () => {
    failNext = true;
    answer = await postGraphQL(url, CREATE, { input: GRANT_CARRYING.assertion("aJwtAssertion") });
    const errorLines = log.lines().filter((line) => line.msg === "unexpected error (answered as INTERNAL_SERVER_ERROR)");
    expect(errorLines).toHaveLength(1);
    errorLine = errorLines[0]!;
  });

  it("is answered masked: no message, field or value of the error reaches the caller", () => {
    expect(answer.body.errors).toEqual([
      { message: "Internal server error", locations: [{ line: 1, column: 53 }], path: ["createTokenWithIAM"], extensions: { code: "INTERNAL_SERVER_ERROR", retryable: false } },
    ]);
  });

  it("is logged at error level with its message and stack", () => {
    expect(errorLine).toMatchObject({ level: 50, err: { type: "Error", message: MASKED_ERROR } });
    expect((errorLine.err as { stack: string }).stack).toContain(`Error: ${MASKED_ERROR}`);
  });

  it.each(SECRET_FIELDS)("shows %s as redacted in that line, its value nowhere in the log", (field) => {
    expect((errorLine.err as Record<string, unknown>)[field]).toBe(REDACTED);
    expect(log.text()).not.toContain(plantedValues.get(field));
  });
});

describe.each(SCHEMA_GRANT_INPUTS)("the grant input %s, sent by a caller", (field) => {
  it("answered: the request line has outcome ok and no variables", async () => {
    const value = secretValue(field);
    const { status, body } = await postGraphQL(url, CREATE, { input: GRANT_CARRYING[field](value) });
    expect({ status, body }).toEqual({ status: 200, body: { data: { createTokenWithIAM: { tokenType: "Bearer", expiresIn: 3600 } } } });
    expect(requestLines().at(-1)).toMatchObject({ operationName: "Create", outcome: "ok", errorCodes: [] });
    expect(requestLines().at(-1)).not.toHaveProperty("variables");
    expect(log.text()).not.toContain(value);
  });

  it("refused by variable coercion: the error message keeps the path and reason, not the value", async () => {
    const value = secretValue(field);
    const { status, body } = await postGraphQL(url, CREATE, { input: { ...GRANT_CARRYING[field](value), scope: 42 } });
    expect(status).toBe(400);
    expect(body.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([
      ['Variable "$input" got invalid value at "input.scope"; String cannot represent a non string value.', "BAD_USER_INPUT"],
    ]);
    expect(JSON.stringify(body)).not.toContain(value);
    expect(requestLines().at(-1)).toMatchObject({ operationName: "Create", outcome: "refused", errorCodes: ["BAD_USER_INPUT"] });
    expect(log.text()).not.toContain(value);
  });

  it("inline in a document that fails validation: neither the answer nor the log holds it", async () => {
    const value = secretValue(field);
    const literal = Object.entries(GRANT_CARRYING[field](value))
      .map(([name, item]) => `${name}: ${name === "grantType" ? String(item) : JSON.stringify(item)}`).join(", ");
    const { status, body } = await postGraphQL(url, `mutation Inline { createTokenWithIAM(input: { ${literal} }) { accessTokn } }`);
    expect(status).toBe(400);
    expect(body.errors?.map((error) => error.extensions?.code)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(JSON.stringify(body)).not.toContain(value);
    expect(requestLines().at(-1)).toMatchObject({ outcome: "refused", errorCodes: ["GRAPHQL_VALIDATION_FAILED"] });
    expect(log.text()).not.toContain(value);
  });
});
