import type { GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { execute, getOperationAST, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType, GraphQLSchema, GraphQLString, parse, type DocumentNode } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { compileQuery, isCompiledQuery } from "graphql-jit";
import { describe, expect, it } from "vitest";
import { createCompiledExecutor } from "../../../src/server/compiled-execution.js";

/**
 * The executor never runs an operation twice. It hands an operation to graphql-js after graphql-jit
 * only when graphql-jit's variable parser refuses, before anything ran; a mutation whose resolver
 * fails runs once. And the graphql-jit behaviour that makes this safe is pinned: once a resolver
 * has run, graphql-jit's answer has `data` (null or partial), never errors alone.
 */

/** A mutation `upstream(value)` counting its calls; "fail" throws as an upstream refusal would. */
function countingSchema(scalar: GraphQLScalarType | typeof GraphQLString = GraphQLString) {
  const calls: unknown[] = [];
  const resolve = (_root: unknown, args: { value?: unknown }) => {
    calls.push(args.value);
    if (args.value === "fail") throw new Error("upstream refused");
    return `answered ${String(args.value)}`;
  };
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLString, resolve: () => "ok" } } }),
    mutation: new GraphQLObjectType({
      name: "Mutation",
      fields: {
        upstream: { type: new GraphQLNonNull(GraphQLString), args: { value: { type: scalar } }, resolve },
        upstreamNullable: { type: GraphQLString, args: { value: { type: scalar } }, resolve },
        upstreamList: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)), args: { value: { type: scalar } }, resolve: (root, args) => [resolve(root, args)] },
      },
    }),
  });
  return { schema, calls };
}

function send(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>) {
  const executor = createCompiledExecutor(schema, { compileAfter: 0 });
  const operation = getOperationAST(document, "M");
  return executor({ document, operation, operationName: "M", request: { variables, http: { method: "POST" } }, context: {} } as unknown as GatewayGraphQLRequestContext);
}

describe("the compiled executor runs an operation once", () => {
  it("runs a mutation whose resolver throws exactly once, with or without variables, and answers its error", async () => {
    for (const [query, variables] of [
      [`mutation M($v: String) { upstream(value: $v) }`, { v: "fail" }],
      [`mutation M { upstream(value: "fail") }`, {}],
      [`mutation M($v: String) { upstreamNullable(value: $v) }`, { v: "fail" }],
    ] as const) {
      const { schema, calls } = countingSchema();
      const result = await send(schema, parse(query), variables);
      expect(calls).toEqual(["fail"]);
      expect(result.errors?.map((error) => [error.message, error.path])).toEqual([["upstream refused", [query.includes("Nullable") ? "upstreamNullable" : "upstream"]]]);
    }
  });

  it("answers with graphql-js, running the mutation once, when graphql-jit would refuse variables graphql-js accepted", async () => {
    // A scalar that accepts a value the first time it sees it (graphql-js' refusal check) and refuses
    // it the second (graphql-jit's parser): the one way to make the two disagree on demand.
    let seen = 0;
    const FirstTimeOnly = new GraphQLScalarType({
      name: "FirstTimeOnly",
      parseValue(value) {
        seen += 1;
        if (seen === 2) throw new TypeError("refused the second time");
        return value;
      },
    });
    const { schema, calls } = countingSchema(FirstTimeOnly);
    const document = parse(`mutation M($v: FirstTimeOnly) { upstream(value: $v) }`);
    const result = await send(schema, document, { v: "token" });
    expect(result).toEqual({ data: { upstream: "answered token" } });
    expect(calls).toEqual(["token"]);
  });
});

describe("graphql-jit's answer once a resolver ran (the assumption the executor relies on)", () => {
  const cases = [
    { name: "a non-null root field that throws (data becomes null)", query: `mutation M { upstream(value: "fail") }`, data: null },
    { name: "a nullable root field that throws", query: `mutation M { upstreamNullable(value: "fail") }`, data: { upstreamNullable: null } },
    { name: "a [String!] whose item throws", query: `mutation M { upstreamList(value: "fail") }`, data: { upstreamList: null } },
    { name: "a non-null root field that throws, with a variable", query: `mutation M($v: String) { upstream(value: $v) }`, variables: { v: "fail" }, data: null },
  ];
  for (const { name, query, variables, data } of cases) {
    it(`has data, as graphql-js does, for ${name}`, async () => {
      const { schema, calls } = countingSchema();
      const document = parse(query);
      const compiled = compileQuery(schema, document, "M");
      if (!isCompiledQuery(compiled)) throw new Error(`graphql-jit did not compile: ${JSON.stringify(compiled)}`);
      const result = await compiled.query(undefined, {}, variables ?? {});
      expect(calls).toEqual(["fail"]);
      expect("data" in result).toBe(true);
      expect(result.data).toEqual(data);
      expect(result.errors?.map((error) => error.message)).toEqual(["upstream refused"]);
      const reference = await execute({ schema, document, variableValues: variables ?? {} });
      expect(result.data).toEqual(reference.data);
    });
  }
});
