import { describe, expect, it } from "vitest";
import { createGatewayMetrics } from "../../../src/metrics/metrics.js";
import { MAX_COERCION_ERRORS } from "../../../src/server/compiled-execution.js";
import { MAX_ERROR_MESSAGE_CHARS } from "../../../src/server/format-error.js";
import { VALIDATION_MAX_ERRORS } from "../../../src/server/gateway-server.js";
import { MAX_LINE_BREAKS_PER_TOKEN } from "../../../src/server/limits/document-line-breaks.js";
import { postGraphQL, withInProcessGateway } from "./server-fixtures.js";

/**
 * A refusal's answer cannot be made to grow with the caller's input: errors are capped in number,
 * their messages in length, the document's line breaks (each error's line and column is found by
 * scanning up to it) in number, and no "Did you mean" suggestion is computed with introspection off.
 * Found by an attacker's review: before these, single requests within every limit cost 70–175 ms of
 * CPU (the (hostile) bench row sends them now). What the caller sees is asserted here.
 */

const PRODUCTION = { nodeEnv: "production" as const, introspection: false };
const CREATE = "mutation Create($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken } }";
const messages = (body: { errors?: Array<{ message: string }> }) => (body.errors ?? []).map((error) => error.message);

describe("errors of one request", () => {
  it(`are at most ${VALIDATION_MAX_ERRORS} validation errors, then graphql-js's own "error limit reached"`, async () => {
    await withInProcessGateway({ config: PRODUCTION }, async ({ url }) => {
      const fields = Array.from({ length: 100 }, (_, i) => `f${i}`).join(" ");
      const { status, body } = await postGraphQL(url, `{ ${fields} }`);
      expect(status).toBe(400);
      expect(messages(body)).toHaveLength(VALIDATION_MAX_ERRORS + 1);
      expect(messages(body)[0]).toBe('Cannot query field "f0" on type "Query".');
      expect(messages(body).at(-1)).toBe("Too many validation errors, error limit reached. Validation aborted.");
    });
  });

  it(`are at most ${MAX_COERCION_ERRORS} variable coercion errors`, async () => {
    await withInProcessGateway({ config: PRODUCTION }, async ({ url }) => {
      // 50 scope items (its bound) that are numbers: 50 coercion errors, before the cap.
      const { status, body } = await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(50).fill(1) } });
      expect(status).toBe(400);
      expect(messages(body)).toHaveLength(MAX_COERCION_ERRORS + 1);
      expect(messages(body)[0]).toBe('Variable "$input" got invalid value at "input.scope[0]"; String cannot represent a non string value.');
      expect(messages(body).at(-1)).toBe("Too many errors processing variables, error limit reached. Execution aborted.");
      expect(body.errors?.map((error) => error.extensions?.code)).toEqual(Array(messages(body).length).fill("BAD_USER_INPUT"));
    });
  });

  it(`cut each message at ${MAX_ERROR_MESSAGE_CHARS} characters, saying so`, async () => {
    await withInProcessGateway({ config: PRODUCTION }, async ({ url }) => {
      const name = `Q${"n".repeat(60_000)}`;
      const { status, body } = await postGraphQL(url, `query ${name}($a: Int) { __typename }`);
      expect(status).toBe(400);
      const [message] = messages(body);
      expect(message).toBe(`${`Variable "$a" is never used in operation "${name}".`.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (cut: ${`Variable "$a" is never used in operation "${name}".`.length} characters)`);
    });
  });
});

describe("documents with more line breaks than " + `${MAX_LINE_BREAKS_PER_TOKEN} × MAX_TOKENS`, () => {
  it("are refused before they are parsed, GRAPHQL_PARSE_FAILED naming the limit, counted as max_tokens; one fewer is parsed", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    await withInProcessGateway({ config: { ...PRODUCTION, operationLimits: { maxAliases: 15, maxDepth: 8, maxDirectives: 10, maxCost: 1000, maxTokens: 100, maxBodyBytes: 65_536 } }, metrics }, async ({ url }) => {
      const max = MAX_LINE_BREAKS_PER_TOKEN * 100;
      for (const breaks of ["\n", "\r\n", "\r"]) {
        const refused = await postGraphQL(url, `${breaks.repeat(max + 1)}{ __typename }`);
        expect([refused.status, refused.body]).toEqual([400, { errors: [{ message: `Syntax Error: Document has more than ${max} line breaks. Parsing aborted. (${MAX_LINE_BREAKS_PER_TOKEN} × MAX_TOKENS)`, extensions: { code: "GRAPHQL_PARSE_FAILED" } }] }]);
        const parsed = await postGraphQL(url, `${breaks.repeat(max)}{ __typename }`);
        expect([parsed.status, parsed.body]).toEqual([200, { data: { __typename: "Query" } }]);
      }
      // Over GET too (the document in the query string).
      const get = await fetch(`${url}?${new URLSearchParams({ query: `${"\n".repeat(max + 1)}{ __typename }` })}`, { headers: { "apollo-require-preflight": "1" } });
      expect([get.status, ((await get.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code]).toEqual([400, "GRAPHQL_PARSE_FAILED"]);
      const { values } = await metrics.rejections.get();
      expect(values.find((value) => value.labels.reason === "max_tokens")?.value).toBe(4);
    });
  });
});

describe("suggestions with introspection off", () => {
  it("are never made: not for fields, nor for input keys or enum values in variables", async () => {
    await withInProcessGateway({ config: PRODUCTION }, async ({ url }) => {
      const field = await postGraphQL(url, "{ gateway { versio } }");
      const key = await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARER", assertio: "x" } });
      const enumValue = await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARE", assertion: "x" } });
      expect([field.status, key.status, enumValue.status]).toEqual([400, 400, 400]);
      for (const message of [...messages(field.body), ...messages(key.body), ...messages(enumValue.body)]) expect(message).not.toMatch(/Did you mean/);
      expect(messages(field.body)).toEqual(['Cannot query field "versio" on type "GatewayInfo".']);
    });
  });

  it("are made with introspection on (development), where the schema is public anyway", async () => {
    await withInProcessGateway({ config: { introspection: true } }, async ({ url }) => {
      expect(messages((await postGraphQL(url, "{ gateway { versio } }")).body)).toEqual(['Cannot query field "versio" on type "GatewayInfo". Did you mean "version"?']);
      expect(messages((await postGraphQL(url, CREATE, { input: { grantType: "JWT_BEARE", assertion: "x" } })).body).join(" ")).toMatch(/Did you mean the enum value "JWT_BEARER"\?/);
    });
  });
});
