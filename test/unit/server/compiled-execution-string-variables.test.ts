import "reflect-metadata";
import type { GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import * as graphql from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

// Counts graphql-js' variable coercion: the String-variable shortcut is the only thing that changes it.
vi.mock("graphql/index.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("graphql/index.js")>();
  return { ...original, getVariableValues: vi.fn(original.getVariableValues) };
});
const coercions = vi.mocked(graphql.getVariableValues);

let executor: ReturnType<typeof import("../../../src/server/compiled-execution.js").createCompiledExecutor>;
// Loaded afresh, so it binds the counting function even where an earlier test file in the same worker
// loaded it already (Stryker runs the files without isolation).
beforeAll(async () => {
  vi.resetModules();
  const { buildGatewaySchema } = await import("../../../src/schema/build-schema.js");
  const { createCompiledExecutor } = await import("../../../src/server/compiled-execution.js");
  executor = createCompiledExecutor(await buildGatewaySchema(), { compileAfter: 0 });
});
beforeEach(() => coercions.mockClear());

const context = { tokens: { refresh: async () => ({ tokenType: "Bearer" }) }, config: {}, requestId: "test" };
const run = (query: string, variables: Record<string, unknown>) => {
  const document = graphql.parse(query);
  const operation = graphql.getOperationAST(document) ?? undefined;
  return executor({ document, operation, operationName: null, request: { variables, http: { method: "POST" } }, context } as unknown as GatewayGraphQLRequestContext);
};
const STRINGS = "mutation($r: String!, $c: String) { refreshToken(input: { refreshToken: $r, clientId: $c }) { tokenType } }";

describe("graphql-js' variable coercion, skipped for String variables given strings", () => {
  it("is skipped when every variable is a String given a string, and the operation runs", async () => {
    expect(await run(STRINGS, { r: "r", c: "c" })).toEqual({ data: { refreshToken: { tokenType: "Bearer" } } });
    expect(coercions).not.toHaveBeenCalled();
  });

  it.each([
    ["a variable omitted", { r: "r" }],
    ["a variable null", { r: "r", c: null }],
    ["a variable given a number", { r: "r", c: 1 }],
    ["a variable only on the variables object's prototype", Object.assign(Object.create({ c: "inherited" }) as Record<string, unknown>, { r: "r" })],
  ])("runs with %s", async (_what, variables) => {
    await run(STRINGS, variables);
    expect(coercions).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["an Int", "mutation($r: String!, $n: Int) { refreshToken(input: { refreshToken: $r }) { tokenType } }", { r: "r", n: "1" }],
    ["an enum", "mutation($g: GrantType!) { createTokenWithIAM(input: { grantType: $g }) { tokenType } }", { g: "JWT_BEARER" }],
    ["a String with a default", 'mutation($r: String! = "d") { refreshToken(input: { refreshToken: $r }) { tokenType } }', { r: "r" }],
    ["a list of String", "mutation($s: [String!]) { refreshToken(input: { refreshToken: \"r\", scope: $s }) { tokenType } }", { s: ["aws"] }],
  ])("runs for an operation that declares %s, whatever its values", async (_what, query, variables) => {
    await run(query, variables);
    expect(coercions).toHaveBeenCalledTimes(1);
  });
});
