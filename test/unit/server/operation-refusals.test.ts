import { getOperationAST, GraphQLError, parse } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { describe, expect, it } from "vitest";
import { createGatewayMetrics } from "../../../src/metrics/metrics.js";
import { createOperationResolutionPlugin, unresolvedOperationError } from "../../../src/server/limits/operation-resolution.js";
import { withInProcessGateway, type InProcessGateway } from "./server-fixtures.js";

/**
 * What the operation-resolution and variable-bounds plugins answer, over HTTP to a gateway server
 * running in this process (the child-process hardening tests cover the same from outside): an
 * unresolved operation is 400 BAD_REQUEST with the message for its case, variables out of bounds
 * are 400 BAD_USER_INPUT naming the field, each is counted under its reason, and neither needs a
 * metrics registry. Requests that pass run against a token service answering one fixed token.
 */

/** Runs `use` against two gateways started for the test (see withInProcessGateway): one counting refusals in its metrics, one without metrics. */
async function withGateways(use: (counted: InProcessGateway, uncounted: InProcessGateway, rejections: (reason: string) => Promise<number>) => Promise<void>) {
  const metrics = createGatewayMetrics({ collectDefaults: false });
  const rejections = async (reason: string) => (await metrics.rejections.get()).values.find(({ labels }) => labels.reason === reason)?.value ?? 0;
  await withInProcessGateway({ metrics }, (counted) => withInProcessGateway({}, (uncounted) => use(counted, uncounted, rejections)));
}

async function post(url: string, body: Record<string, unknown>) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as unknown };
}

const REFRESH = 'mutation R { refreshToken(input: { refreshToken: "r" }) { tokenType } }';
const badRequest = (message: string) => ({ status: 400, body: { errors: [{ message, extensions: { code: "BAD_REQUEST", retryable: false } }] } });
const NAMES_NO_OPERATION = "operationName names no operation of the document: send the name of one of its operations, or omit operationName for a document with one operation.";
const SEVERAL_OPERATIONS = "The document has several operations: operationName must name the one to run.";

describe("an operation Apollo cannot resolve is refused before execution", () => {
  it("an operationName no operation has, or several operations and none named: 400 BAD_REQUEST saying which, counted as unresolved_operation, nothing run", () =>
    withGateways(async (counted, _uncounted, rejections) => {
      expect(await post(counted.url, { query: REFRESH, operationName: "Other" })).toEqual(badRequest(NAMES_NO_OPERATION));
      expect(await post(counted.url, { query: `${REFRESH} query Q { __typename }` })).toEqual(badRequest(SEVERAL_OPERATIONS));
      expect(await rejections("unresolved_operation")).toBe(2);
      expect(counted.calls).toEqual([]);
    }));

  it("answers the same without a metrics registry", () =>
    withGateways(async (_counted, uncounted) => {
      expect(await post(uncounted.url, { query: REFRESH, operationName: "Other" })).toEqual(badRequest(NAMES_NO_OPERATION));
      expect(await post(uncounted.url, { query: `${REFRESH} query Q { __typename }` })).toEqual(badRequest(SEVERAL_OPERATIONS));
      expect(uncounted.calls).toEqual([]);
    }));

  it("still runs the operation the request names, once", () =>
    withGateways(async (counted) => {
      expect(await post(counted.url, { query: `${REFRESH} query Q { __typename }`, operationName: "R" })).toEqual({ status: 200, body: { data: { refreshToken: { tokenType: "Bearer" } } } });
      expect(counted.calls).toHaveLength(1);
    }));
});

describe("the refusals' own shape, where Apollo does not reach them", () => {
  it("a document with no operation at all gets its own message (Apollo's validation refuses such a document first; the executor repeats the check)", () => {
    const error = unresolvedOperationError(parse("fragment F on Query { __typename }"), undefined);
    expect([error.message, error.extensions]).toEqual(["The document has no operation to run.", { code: "BAD_REQUEST", retryable: false, http: { status: 400 } }]);
  });

  it("the plugin refuses a mutation over GET with 405 and `allow: POST` (Apollo refuses it first today; the plugin restates the rule)", async () => {
    const document = parse(REFRESH);
    const hooks = await (createOperationResolutionPlugin().requestDidStart as (context: unknown) => Promise<{ didResolveOperation: (context: unknown) => Promise<void> }>)({});
    const refusal = await hooks.didResolveOperation({ operation: getOperationAST(document), document, request: { http: { method: "GET" } } }).then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(GraphQLError);
    const { message, extensions } = refusal as GraphQLError;
    const { http, ...rest } = extensions as { http: { status: number; headers: Map<string, string> } };
    expect([message, rest, http.status, [...http.headers]]).toEqual([
      "GET requests only support query operations, not mutation operations: send it with POST.", { code: "BAD_REQUEST", retryable: false }, 405, [["allow", "POST"]],
    ]);
    await expect(hooks.didResolveOperation({ operation: getOperationAST(parse("query Q { __typename }")), document, request: { http: { method: "GET" } } })).resolves.toBeUndefined();
    await expect(hooks.didResolveOperation({ operation: getOperationAST(document), document, request: { http: { method: "POST" } } })).resolves.toBeUndefined();
    // Apollo's executeOperation runs a request without HTTP: not a GET, so not refused.
    await expect(hooks.didResolveOperation({ operation: getOperationAST(document), document, request: {} })).resolves.toBeUndefined();
  });
});

describe("variables out of bounds are refused before coercion", () => {
  const EXCHANGE = "mutation C($input: RefreshTokenInput!) { refreshToken(input: $input) { tokenType } }";
  const outOfBounds = {
    status: 400,
    body: { errors: [{ message: 'Variable "$input" is out of bounds at "input.refreshToken": it must be a string of at most 8192 characters.', extensions: { code: "BAD_USER_INPUT", retryable: false, field: "input.refreshToken" } }] },
  };

  it("a string over its field's bound: 400 BAD_USER_INPUT naming the field, counted as variable_bounds, nothing run; the same without metrics", () =>
    withGateways(async (counted, uncounted, rejections) => {
      expect(await post(counted.url, { query: EXCHANGE, variables: { input: { refreshToken: "r".repeat(8193) } } })).toEqual(outOfBounds);
      expect(await rejections("variable_bounds")).toBe(1);
      expect(counted.calls).toEqual([]);
      expect(await post(uncounted.url, { query: EXCHANGE, variables: { input: { refreshToken: "r".repeat(8193) } } })).toEqual(outOfBounds);
    }));

  it("runs a request at the bound, one whose declared variables are all omitted, and one sending variables the operation does not declare", () =>
    withGateways(async (counted) => {
      const ran = { status: 200, body: { data: { refreshToken: { tokenType: "Bearer" } } } };
      expect(await post(counted.url, { query: EXCHANGE, variables: { input: { refreshToken: "r".repeat(8192) } } })).toEqual(ran);
      expect(await post(counted.url, { query: 'mutation C($scope: [String!]) { refreshToken(input: { refreshToken: "r", scope: $scope }) { tokenType } }' })).toEqual(ran);
      expect(await post(counted.url, { query: REFRESH, variables: { unused: "x".repeat(10_000) } })).toEqual(ran);
    }));
});
