import "reflect-metadata";
import type { GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { getOperationAST, GraphQLError, parse, type DocumentNode } from "graphql/index.js"; // the CJS entry, as the gateway's
import { beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { buildGatewaySchema } from "../../../src/schema/build-schema.js";
import { createCompiledExecutor } from "../../../src/server/compiled-execution.js";

/**
 * graphql-jit compiles a document's operation only once it came again (src/server/compiled-execution.ts): counted per
 * document and per operation, and a compiled operation answers errors as graphql-js does. Its other edges:
 * test/unit/server/compiled-execution*.test.ts.
 */
let schema: Awaited<ReturnType<typeof buildGatewaySchema>>;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

const context = () => ({
  tokens: {
    refresh: async (request: { refreshToken: string }) => {
      if (request.refreshToken === "expired") throw new GatewayError("INVALID_GRANT", "Invalid grant provided", { awsException: "InvalidGrantException" });
      return { tokenType: "Bearer", expiresIn: 3600 };
    },
  },
  config: {},
  requestId: "test",
});

function counted(compileAfter: number) {
  const compiled: Array<string | null> = [];
  const executor = createCompiledExecutor(schema, { compileAfter, onCompile: (name) => compiled.push(name) });
  const send = (document: DocumentNode, operationName: string | null, variables: Record<string, unknown> = {}) =>
    executor({
      document, operation: getOperationAST(document, operationName) ?? undefined, operationName,
      request: { variables, http: { method: "POST" } }, context: context(),
    } as unknown as GatewayGraphQLRequestContext);
  return { compiled, send };
}

describe("compiled execution per operation of a document", () => {
  it("counts each operation's executions apart and answers each with its own operation, compiled or not", async () => {
    const { compiled, send } = counted(1);
    const document = parse(`query A { __typename } mutation B { refreshToken(input: { refreshToken: "r" }) { tokenType } }`);
    expect(await send(document, "A")).toEqual({ data: { __typename: "Query" } });
    expect(await send(document, "A")).toEqual({ data: { __typename: "Query" } });
    expect(compiled).toEqual(["A"]);
    // B's first execution: graphql-js, not A's compiled query.
    expect(await send(document, "B")).toEqual({ data: { refreshToken: { tokenType: "Bearer" } } });
    expect(compiled).toEqual(["A"]);
    expect(await send(document, "B")).toEqual({ data: { refreshToken: { tokenType: "Bearer" } } });
    expect(compiled).toEqual(["A", "B"]);
    expect(await send(document, "A")).toEqual({ data: { __typename: "Query" } });
    expect(compiled).toEqual(["A", "B"]);
  });

  it("counts an anonymous operation's executions as one operation's", async () => {
    const { compiled, send } = counted(2);
    const document = parse("{ __typename }");
    for (let i = 0; i < 4; i++) expect(await send(document, null)).toEqual({ data: { __typename: "Query" } });
    expect(compiled).toEqual([null]);
  });
});

describe("introspection, never compiled", () => {
  it("is found beside other root fields, and a fragment spread twice without it is not taken for it", async () => {
    const { compiled, send } = counted(0);
    const mixed = parse("query I { __typename __schema { queryType { name } } }");
    for (let i = 0; i < 2; i++) expect(await send(mixed, "I")).toEqual({ data: { __typename: "Query", __schema: { queryType: { name: "Query" } } } });
    expect(compiled).toEqual([]);
    const twice = parse("query T { ...F ...F } fragment F on Query { __typename }");
    expect(await send(twice, "T")).toEqual({ data: { __typename: "Query" } });
    expect(compiled).toEqual(["T"]);
  });
});

describe("a compiled operation's errors", () => {
  it("are graphql-js errors, with an extensions object and the resolver's error, as its first (graphql-js) execution answered", async () => {
    const { compiled, send } = counted(1);
    const document = parse(`mutation R { refreshToken(input: { refreshToken: "expired" }) { tokenType } }`);
    const first = await send(document, "R");
    const second = await send(document, "R");
    expect(compiled).toEqual(["R"]);
    for (const result of [first, second]) {
      expect(result.data).toBeNull();
      const [error] = result.errors!;
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error!.extensions).toEqual(expect.any(Object));
      expect(error!.originalError).toBeInstanceOf(GatewayError);
      expect(error!.path).toEqual(["refreshToken"]);
      expect(error!.locations).toEqual([{ line: 1, column: 14 }]);
    }
  });
});

describe("variable coercion's refusals", () => {
  it("leave Error.stackTraceLimit as it was", async () => {
    const { send } = counted(3);
    // A value of its own: a test before this one in the same worker may have left the limit anywhere.
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      const document = parse("mutation X($r: String!) { refreshToken(input: { refreshToken: $r }) { tokenType } }");
      const refused = await send(document, "X", { r: 42 });
      expect(refused.errors?.map((error) => error.extensions.code)).toEqual(["BAD_USER_INPUT"]);
      expect(Error.stackTraceLimit).toBe(17);
    } finally {
      Error.stackTraceLimit = saved;
    }
  });
});
