import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getIntrospectionQuery } from "graphql/index.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { capturingLogger, fakeTokenService, postGraphQL, testConfig } from "./server-fixtures.js";

/** The default operation limits must not break the tools that introspect the schema (explorer, codegen). */
let server: GatewayServer;
let url: string;

beforeAll(async () => {
  const { tokenService } = fakeTokenService(() => {
    throw new Error("no exchange in these tests");
  });
  server = await createGatewayServer({ config: testConfig(), tokenService, logger: capturingLogger().logger, upstreamLabel: "fake" });
  ({ url } = await server.listen(0, "127.0.0.1"));
});
afterAll(async () => {
  await server?.close();
});

describe("default operation limits", () => {
  it("let the full introspection query through (depth, cost, tokens and aliases within bounds)", async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const { status, body } = await postGraphQL(url, query);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.__schema.mutationType.name).toBe("Mutation");
  });
});

describe("operation types", () => {
  it("refuses a subscription (the schema has none) as GRAPHQL_VALIDATION_FAILED, not INTERNAL_SERVER_ERROR", async () => {
    const { status, body } = await postGraphQL(url, "subscription S { tokens { accessToken } }");
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { message: "The schema has no subscription type: subscription operations are not supported.", locations: [{ line: 1, column: 1 }], extensions: { code: "GRAPHQL_VALIDATION_FAILED", retryable: false } },
    ]);
  });
});
