import "reflect-metadata";
import type { GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { execute, GraphQLError, Kind, parse, printSchema, type ExecutionResult } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { buildGatewaySchema } from "../../../src/schema/build-schema.js";
import { createCompiledExecution, createCompiledExecutor } from "../../../src/server/compiled-execution.js";
import type { IssuedToken, TokenRequest } from "../../../src/tokens/token.types.js";

const ISSUED: IssuedToken = {
  issuedAt: Date.parse("2026-11-26T12:00:00Z"),
  clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-1",
  accessToken: "aoa-access",
  tokenType: "Bearer",
  expiresIn: 3600,
  refreshToken: "aor-refresh",
  idToken: "not-a-jwt",
  issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token",
  scope: ["openid", "aws"],
  awsAdditionalDetails: { identityContext: "ctx" },
};

/** The schema's resolvers against a token service that answers ISSUED, or refuses an assertion "expired". */
function contextValue() {
  const createToken = async (request: TokenRequest) => {
    if (request.assertion === "expired") throw new GatewayError("INVALID_GRANT", "Invalid grant provided", { awsException: "InvalidGrantException" });
    return ISSUED;
  };
  return { tokens: { createToken, refresh: async () => ISSUED }, requestId: "test" };
}

const FIELDS = "accessToken tokenType expiresIn refreshToken idToken issuedTokenType scope awsAdditionalDetails { identityContext } expiresAt isAwsToken canRefresh clientId";
const DOCUMENTS: Array<{ name: string; query: string; operationName?: string; variables?: Record<string, unknown> }> = [
  { name: "an exchange with variables", query: `mutation Exchange($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { ${FIELDS} } }`, variables: { assertion: "eyJ" } },
  { name: "the whole input as one variable", query: `mutation($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { ${FIELDS} } }`, variables: { input: { grantType: "JWT_BEARER", assertion: "eyJ" } } },
  { name: "aliases and __typename", query: `mutation { a: refreshToken(input: { refreshToken: "r" }) { __typename accessToken } b: refreshToken(input: { refreshToken: "r" }) { expiresIn } }` },
  { name: "a resolver error (GatewayError)", query: `mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "expired" }) { accessToken } }` },
  { name: "a missing required variable", query: `mutation X($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { accessToken } }`, variables: {} },
  { name: "a variable of the wrong type", query: `mutation X($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken } }`, variables: { input: { grantType: "NOT_A_GRANT" } } },
  { name: "one operation of several, by name", query: `query A { __typename } mutation B { refreshToken(input: { refreshToken: "r" }) { tokenType } }`, operationName: "B" },
];

/** Errors as a client would compare them: message, path, locations, and the thrown error's code. */
function comparable(result: ExecutionResult) {
  return {
    data: result.data,
    errors: result.errors?.map((error) => ({
      message: error.message,
      path: error.path,
      locations: error.locations,
      code: (error.originalError as GatewayError | undefined)?.code,
    })),
  };
}

describe("compiled execution (graphql-jit behind Apollo's gateway interface)", () => {
  let schema: Awaited<ReturnType<typeof buildGatewaySchema>>;
  let executor: ReturnType<typeof createCompiledExecutor>;
  beforeAll(async () => {
    schema = await buildGatewaySchema();
    executor = createCompiledExecutor(schema);
  });

  const run = (document: ReturnType<typeof parse>, operationName: string | undefined, variables: Record<string, unknown> | undefined) =>
    executor({ document, operationName: operationName ?? null, request: { variables }, context: contextValue() } as unknown as GatewayGraphQLRequestContext);

  for (const { name, query, operationName, variables } of DOCUMENTS) {
    it(`answers ${name} exactly as graphql-js does, the first time and once compiled`, async () => {
      const document = parse(query);
      const expected = await execute({ schema, document, contextValue: contextValue(), variableValues: variables, operationName });
      expect(comparable(await run(document, operationName, variables))).toEqual(comparable(expected));
      expect(comparable(await run(document, operationName, variables))).toEqual(comparable(expected));
    });
  }

  it("leaves what graphql-jit refuses to compile to graphql-js, with graphql-js' answer", async () => {
    // Apollo never executes an operation name the document lacks; called directly, graphql-jit refuses to compile it.
    const document = parse("query A { __typename }");
    const expected = await execute({ schema, document, contextValue: contextValue(), operationName: "Missing" });
    expect(expected.errors?.[0]?.message).toBe('Unknown operation named "Missing".');
    expect(comparable(await run(document, "Missing", undefined))).toEqual(comparable(expected));
  });

  it("announces the schema to Apollo with its SDL, which Apollo's GraphOS schema reporting sends as the graph's schema", () => {
    const announced: Array<{ apiSchema: unknown; coreSupergraphSdl: string }> = [];
    createCompiledExecution(schema).onSchemaLoadOrUpdate((context) => announced.push(context));
    expect(announced).toHaveLength(1);
    expect(announced[0]!.apiSchema).toBe(schema);
    expect(announced[0]!.coreSupergraphSdl).toBe(printSchema(schema));
    expect(announced[0]!.coreSupergraphSdl).toContain("createTokenWithIAM(");
  });

  it("hands Apollo graphql-js errors: an extensions object, the original error, and variable errors on their VariableDefinition", async () => {
    const failed = await run(parse(`mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "expired" }) { accessToken } }`), undefined, undefined);
    const [resolverError] = failed.errors!;
    expect(resolverError).toBeInstanceOf(GraphQLError);
    expect(resolverError!.extensions).toEqual(expect.any(Object));
    expect(resolverError!.originalError).toBeInstanceOf(GatewayError);
    expect(failed.data).toEqual(null);

    // Apollo answers these BAD_USER_INPUT only when they point at the variable's definition.
    const coercion = await run(parse(`mutation X($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { accessToken } }`), "X", { assertion: 42 });
    expect(coercion.data).toBeUndefined();
    expect(coercion.errors!.map((error) => [error.message, error.nodes?.[0]?.kind])).toEqual([
      ['Variable "$assertion" got invalid value 42; String cannot represent a non string value: 42', Kind.VARIABLE_DEFINITION],
    ]);
  });
});
