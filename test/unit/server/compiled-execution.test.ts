import "reflect-metadata";
import type { GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { execute, getIntrospectionQuery, getOperationAST, GraphQLError, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType, GraphQLSchema, Kind, parse, printSchema, type ExecutionResult } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { buildGatewaySchema } from "../../../src/schema/build-schema.js";
import { COMPILE_AFTER_EXECUTIONS, createCompiledExecution, createCompiledExecutor, MAX_COERCION_ERRORS } from "../../../src/server/compiled-execution.js";
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

/**
 * The schema's resolvers against a token service that answers ISSUED, or refuses an assertion
 * "expired"; a refresh token "no-client" answers without the non-null clientId and "null-scope"
 * with a null inside the `[String!]` scope (errors in nested fields). Every call is recorded.
 */
function contextValue(calls: unknown[] = []) {
  const createToken = async (request: TokenRequest) => {
    calls.push(["createToken", request]);
    if (request.assertion === "expired") throw new GatewayError("INVALID_GRANT", "Invalid grant provided", { awsException: "InvalidGrantException" });
    return ISSUED;
  };
  const refresh = async (request: { refreshToken: string }) => {
    calls.push(["refresh", request]);
    if (request.refreshToken === "no-client") return { ...ISSUED, clientId: undefined };
    if (request.refreshToken === "null-scope") return { ...ISSUED, scope: ["openid", null] };
    return ISSUED;
  };
  return { tokens: { createToken, refresh }, config: {}, requestId: "test" };
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
  { name: "the first of several operations, by name", query: `query A { __typename } mutation B { refreshToken(input: { refreshToken: "r" }) { tokenType } }`, operationName: "A" },
  { name: "a single named operation without operationName", query: `mutation B { refreshToken(input: { refreshToken: "r" }) { tokenType } }` },
  { name: "absent variables (no variables object) for a nullable variable", query: `mutation($s: [String!]) { refreshToken(input: { refreshToken: "r", scope: $s }) { scope } }` },
  { name: "a variable explicitly null", query: `mutation($s: [String!]) { refreshToken(input: { refreshToken: "r", scope: $s }) { scope } }`, variables: { s: null } },
  { name: "null for a non-null variable", query: `mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { scope } }`, variables: { r: null } },
  { name: "variables the operation does not declare (ignored)", query: `mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { tokenType } }`, variables: { r: "r", extra: [1, 2, 3], other: { a: 1 } } },
  { name: "default values, omitted", query: `mutation($g: GrantType = JWT_BEARER, $a: String = "eyJ") { createTokenWithIAM(input: { grantType: $g, assertion: $a }) { tokenType } }`, variables: {} },
  { name: "default values overridden, and an explicit null over a default", query: `mutation($g: GrantType = REFRESH_TOKEN, $s: [String!] = ["aws"]) { createTokenWithIAM(input: { grantType: $g, assertion: "eyJ", scope: $s }) { tokenType } }`, variables: { g: "JWT_BEARER", s: null } },
  { name: "a single value where a list is expected (coerced as a list of one)", query: `mutation($s: [String!]) { refreshToken(input: { refreshToken: "r", scope: $s }) { tokenType } }`, variables: { s: "aws" } },
  { name: "named and inline fragments", query: `mutation { refreshToken(input: { refreshToken: "r" }) { ...Tokens ... on CreateTokenWithIAMResponse { expiresIn } ... { isAwsToken } } } fragment Tokens on CreateTokenWithIAMResponse { accessToken __typename }` },
  { name: "@skip and @include driven by variables", query: `mutation($skip: Boolean!, $include: Boolean = true) { a: refreshToken(input: { refreshToken: "r" }) @skip(if: $skip) { tokenType } b: refreshToken(input: { refreshToken: "r" }) @include(if: $include) { expiresIn accessToken @include(if: $skip) ...F @skip(if: $include) } } fragment F on CreateTokenWithIAMResponse { idToken }`, variables: { skip: false } },
  { name: "@skip and @include with the other values", query: `mutation($skip: Boolean!, $include: Boolean = true) { a: refreshToken(input: { refreshToken: "r" }) @skip(if: $skip) { tokenType } b: refreshToken(input: { refreshToken: "r" }) @include(if: $include) { expiresIn accessToken @include(if: $skip) ...F @skip(if: $include) } } fragment F on CreateTokenWithIAMResponse { idToken }`, variables: { skip: true, include: false } },
  { name: "introspection", query: `query { __schema { queryType { name } mutationType { name } } __type(name: "GrantType") { kind enumValues { name } } __typename }` },
  { name: "a null in a non-null field (the error propagates to the root)", query: `mutation { refreshToken(input: { refreshToken: "no-client" }) { tokenType clientId } }` },
  { name: "a null inside a [String!] list (the nullable list becomes null)", query: `mutation { a: refreshToken(input: { refreshToken: "null-scope" }) { tokenType scope } b: refreshToken(input: { refreshToken: "r" }) { tokenType } }` },
  { name: "an unknown field in an input variable", query: `mutation X($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }`, variables: { input: { refreshToken: "r", notAField: 1 } } },
  { name: "an input variable that is not an object", query: `mutation X($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }`, variables: { input: ["r"] } },
  { name: "String variables given strings (graphql-js' coercion skipped)", query: `mutation($r: String!, $c: String) { refreshToken(input: { refreshToken: $r, clientId: $c }) { tokenType } }`, variables: { r: "r", c: "" } },
  { name: "a String! variable given a number", query: `mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { tokenType } }`, variables: { r: 5 } },
  { name: "a String variable given a list, the other a string", query: `mutation($r: String!, $c: String) { refreshToken(input: { refreshToken: $r, clientId: $c }) { tokenType } }`, variables: { r: "r", c: ["a"] } },
  { name: "a String variable omitted, the other a string", query: `mutation($r: String!, $c: String) { refreshToken(input: { refreshToken: $r, clientId: $c }) { clientId } }`, variables: { r: "r" } },
  { name: "a String variable with a default, given a string", query: `mutation($r: String! = "d", $c: String) { refreshToken(input: { refreshToken: $r, clientId: $c }) { tokenType } }`, variables: { r: "r", c: "c" } },
  { name: "an Int variable out of 32-bit range and a Float for an Int", query: `query($a: Int, $b: Int) { __typename @skip(if: false) }`, variables: { a: 2 ** 31, b: 1.5 } },
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
    // Compiled at its second execution: each document below runs with graphql-js, then compiled.
    executor = createCompiledExecutor(schema, { compileAfter: 1 });
  });

  /** As Apollo calls it: the operation it resolved (undefined when none), and its name (null when anonymous or unresolved). */
  const run = (document: ReturnType<typeof parse>, operationName: string | undefined, variables: Record<string, unknown> | undefined, method = "POST", calls: unknown[] = []) => {
    const operation = getOperationAST(document, operationName) ?? undefined;
    return executor({
      document, operation, operationName: operation?.name?.value ?? null,
      request: { variables, operationName, http: { method } }, context: contextValue(calls),
    } as unknown as GatewayGraphQLRequestContext);
  };

  for (const { name, query, operationName, variables } of DOCUMENTS) {
    it(`answers ${name} exactly as graphql-js does, the first time and once compiled`, async () => {
      const document = parse(query);
      const expected = await execute({ schema, document, contextValue: contextValue(), variableValues: variables, operationName });
      expect(comparable(await run(document, operationName, variables))).toEqual(comparable(expected));
      expect(comparable(await run(document, operationName, variables))).toEqual(comparable(expected));
    });
  }

  it("refuses, running nothing, a request whose operationName names no operation (Apollo then passes no operation)", async () => {
    const calls: unknown[] = [];
    // The one case graphql-jit would have run: a single operation, and operationName naming another.
    const document = parse(`mutation A { refreshToken(input: { refreshToken: "r" }) { tokenType } }`);
    const result = await executor({ document, operation: undefined, operationName: null, request: { operationName: "B", http: { method: "POST" } }, context: contextValue(calls) } as unknown as GatewayGraphQLRequestContext);
    expect(result.data).toBeUndefined();
    expect(result.errors?.map((error) => [error.extensions?.code, (error.extensions?.http as { status?: number } | undefined)?.status])).toEqual([["BAD_REQUEST", 400]]);
    expect(result.errors?.[0]?.message).not.toContain('"B"');
    expect(calls).toEqual([]);
  });

  it("refuses, running nothing, a document with several operations and no operationName", async () => {
    const calls: unknown[] = [];
    const document = parse(`mutation A { refreshToken(input: { refreshToken: "r" }) { tokenType } } mutation B { refreshToken(input: { refreshToken: "r" }) { scope } }`);
    const result = await executor({ document, operation: undefined, operationName: null, request: { http: { method: "POST" } }, context: contextValue(calls) } as unknown as GatewayGraphQLRequestContext);
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(["BAD_REQUEST"]);
    expect(result.errors?.[0]?.message).toBe("The document has several operations: operationName must name the one to run.");
    expect(calls).toEqual([]);
  });

  it("refuses, running nothing, a mutation over GET even once resolved (HTTP 405, Allow: POST)", async () => {
    const calls: unknown[] = [];
    const result = await run(parse(`mutation A { refreshToken(input: { refreshToken: "r" }) { tokenType } }`), "A", undefined, "GET", calls);
    expect(result.errors?.map((error) => [error.extensions?.code, (error.extensions?.http as { status?: number } | undefined)?.status])).toEqual([["BAD_REQUEST", 405]]);
    expect(calls).toEqual([]);
    expect((await run(parse("query Q { __typename }"), "Q", undefined, "GET")).data).toEqual({ __typename: "Query" });
  });

  it(`caps coercion errors at MAX_COERCION_ERRORS (${MAX_COERCION_ERRORS}), the next saying so as BAD_USER_INPUT, without running anything`, async () => {
    const calls: unknown[] = [];
    const document = parse(`mutation X($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }`);
    const operation = getOperationAST(document, "X")!;
    const result = await executor({
      document, operation, operationName: "X", request: { variables: { input: { refreshToken: "r", scope: Array(5000).fill(1) } }, http: { method: "POST" } }, context: contextValue(calls),
    } as unknown as GatewayGraphQLRequestContext);
    expect(result.data).toBeUndefined();
    expect(MAX_COERCION_ERRORS).toBe(10);
    expect(result.errors).toHaveLength(MAX_COERCION_ERRORS + 1);
    expect(result.errors!.slice(0, MAX_COERCION_ERRORS).every((error) => error.nodes?.[0]?.kind === Kind.VARIABLE_DEFINITION)).toBe(true);
    expect(result.errors![MAX_COERCION_ERRORS]!.message).toBe("Too many errors processing variables, error limit reached. Execution aborted.");
    expect(result.errors![MAX_COERCION_ERRORS]!.extensions.code).toBe("BAD_USER_INPUT");
    expect(calls).toEqual([]);
  });

  it("coerces a refused request's variables once (graphql-js) and an accepted one's three times (graphql-js, graphql-jit's check before running, graphql-jit's query)", async () => {
    let parsed = 0;
    const Counted = new GraphQLScalarType({
      name: "Counted",
      parseValue(value) {
        parsed++;
        if (value === "bad") throw new TypeError("bad value");
        return value;
      },
    });
    const counting = new GraphQLSchema({
      query: new GraphQLObjectType({ name: "Query", fields: { count: { type: GraphQLInt, args: { values: { type: new GraphQLList(new GraphQLNonNull(Counted)) } }, resolve: (_root, args: { values?: unknown[] }) => args.values?.length ?? 0 } } }),
    });
    const countingExecutor = createCompiledExecutor(counting, { compileAfter: 0 });
    const document = parse("query Q($values: [Counted!]) { count(values: $values) }");
    const send = (values: unknown[]) =>
      countingExecutor({ document, operation: getOperationAST(document, "Q"), operationName: "Q", request: { variables: { values }, http: { method: "POST" } }, context: {} } as unknown as GatewayGraphQLRequestContext);

    const refused = await send(["ok", "ok", "bad", "ok"]);
    expect(refused.errors?.[0]?.message).toContain("bad value");
    expect(parsed).toBe(4);
    parsed = 0;
    expect((await send(["ok", "ok", "ok", "ok"])).data).toEqual({ count: 4 });
    expect(parsed).toBe(12);
  });

  it(`compiles a document's operation at its execution after the first COMPILE_AFTER_EXECUTIONS (${COMPILE_AFTER_EXECUTIONS}), so documents that differ each time are never compiled`, async () => {
    // An attacker review: a 12-alias mutation of every field cost ~20 ms to compile, and a caller sending one that
    // differed each time (a comment) had every one compiled, holding another caller's /healthz at a p99 of 821 ms.
    const compiled: Array<string | null> = [];
    const counted = createCompiledExecutor(schema, { onCompile: (name) => compiled.push(name) });
    const send = (document: ReturnType<typeof parse>) =>
      counted({ document, operation: getOperationAST(document, "R"), operationName: "R", request: { variables: {}, http: { method: "POST" } }, context: contextValue() } as unknown as GatewayGraphQLRequestContext);
    const query = `mutation R { refreshToken(input: { refreshToken: "r" }) { ${FIELDS} } }`;
    const expected = comparable(await execute({ schema, document: parse(query), contextValue: contextValue() }));
    for (let i = 0; i < 20; i++) expect(comparable(await send(parse(`${query} #${i}`)))).toEqual(expected);
    expect(compiled).toEqual([]);
    const repeated = parse(query);
    for (let i = 0; i < COMPILE_AFTER_EXECUTIONS; i++) expect(comparable(await send(repeated))).toEqual(expected);
    expect(compiled).toEqual([]);
    for (let i = 0; i < 5; i++) expect(comparable(await send(repeated))).toEqual(expected);
    expect(compiled).toEqual(["R"]);
  });

  it("never compiles introspection (__schema or __type, through fragments too): graphql-js runs it, as often as it comes", async () => {
    const compiled: Array<string | null> = [];
    const counted = createCompiledExecutor(schema, { compileAfter: 0, onCompile: (name) => compiled.push(name) });
    for (const query of [getIntrospectionQuery(), `query T { ...F } fragment F on Query { ... on Query { __type(name: "Query") { name } } }`]) {
      const document = parse(query);
      const operation = getOperationAST(document)!;
      const expected = comparable(await execute({ schema, document }));
      for (let i = 0; i < 3; i++) {
        const result = await counted({ document, operation, operationName: operation.name?.value ?? null, request: { variables: {}, http: { method: "POST" } }, context: contextValue() } as unknown as GatewayGraphQLRequestContext);
        expect(comparable(result)).toEqual(expected);
      }
    }
    expect(compiled).toEqual([]);
    // Anything else is compiled, compileAfter 0: at its first execution.
    const document = parse("query G { __typename }");
    await counted({ document, operation: getOperationAST(document)!, operationName: "G", request: { variables: {}, http: { method: "POST" } }, context: contextValue() } as unknown as GatewayGraphQLRequestContext);
    expect(compiled).toEqual(["G"]);
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
