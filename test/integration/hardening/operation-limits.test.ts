import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { graphql, onlyError } from "../../support/gateway-client.js";
import { exchange, rejections, startHardenedGateway, type HardenedGateway } from "./hardening-fixture.js";

/**
 * Every limit on one GraphQL request refuses it before execution: a clear code naming the limit,
 * the refusal counted in rejections{reason}, and ZERO calls to the emulator. Each document below
 * is otherwise valid (real assertions), so without its limit it would reach the upstream: the
 * positive control shows such a document does.
 */
let emulator: TestEmulator;
let gateway: HardenedGateway;
const assertions: string[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  gateway = await startHardenedGateway(emulator, { MAX_DEPTH: "3", MAX_COST: "100", MAX_TOKENS: "400", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
  for (let i = 0; i < 20; i++) assertions.push((await emulator.dev.assertion({ sub: `limits-user-${i}` })).assertion);
});
afterEach(async () => {
  await emulator.dev.reset();
});
afterAll(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

const upstreamCalls = async () => (await emulator.dev.stats()).calls.CreateTokenWithIAM;

async function expectRefusedBeforeExecution(query: string, expected: { status: number; code: string; message: RegExp; reason: string }) {
  const before = await rejections(gateway.metrics, expected.reason);
  const result = await graphql(gateway.url, query);
  expect(result.status).toBe(expected.status);
  expect(result.body.data).toBeUndefined();
  const error = onlyError(result);
  expect(error.extensions?.code).toBe(expected.code);
  expect(error.message).toMatch(expected.message);
  expect(await upstreamCalls()).toBe(0);
  expect(await rejections(gateway.metrics, expected.reason)).toBe(before + 1);
}

describe("operation limits", () => {
  it("lets a document within every limit through (control: 2 aliased exchanges are 2 upstream calls)", async () => {
    const result = await graphql(gateway.url, `mutation { ${exchange("a", assertions[0]!)} ${exchange("b", assertions[1]!)} }`);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(await upstreamCalls()).toBe(2);
  });

  it("refuses 16 aliased exchanges (MAX_ALIASES=15) with GRAPHQL_VALIDATION_FAILED naming the limit, making no upstream call", async () => {
    const query = `mutation { ${assertions.slice(0, 16).map((assertion, i) => exchange(`a${i}`, assertion)).join(" ")} }`;
    await expectRefusedBeforeExecution(query, { status: 400, code: "GRAPHQL_VALIDATION_FAILED", message: /^Aliases limit of 15 exceeded, found 16\. \(MAX_ALIASES\)$/, reason: "max_aliases" });
  });

  it("refuses one operation with 500 aliases of an exchange instead of making 500 calls", async () => {
    const query = `mutation { ${Array.from({ length: 500 }, (_, i) => exchange(`a${i}`, assertions[i % 20]!)).join(" ")} }`;
    const body = JSON.stringify({ query });
    expect(Buffer.byteLength(body)).toBeLessThan(gateway.config.operationLimits.maxBodyBytes * 20);
    // 500 aliases do not fit MAX_TOKENS=400 either: on a server with roomy token and body limits, the alias limit answers.
    const roomy = await startHardenedGateway(emulator, { MAX_TOKENS: "100000", MAX_BODY_BYTES: "10485760", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
    try {
      const before = await rejections(roomy.metrics, "max_aliases");
      const result = await graphql(roomy.url, query);
      expect(result.status).toBe(400);
      expect(result.body.data).toBeUndefined();
      // The cost limit objects too; the alias refusal is there, by name.
      expect(result.body.errors).toContainEqual({ message: "Aliases limit of 15 exceeded, found 500. (MAX_ALIASES)", extensions: { code: "GRAPHQL_VALIDATION_FAILED", retryable: false } });
      expect(await upstreamCalls()).toBe(0);
      expect(await rejections(roomy.metrics, "max_aliases")).toBe(before + 1);
    } finally {
      await roomy.stop();
    }
  });

  it("refuses a document deeper than MAX_DEPTH before execution", async () => {
    const query = `mutation { ${exchange("deep", assertions[2]!, "awsAdditionalDetails { identityContext }")} }`;
    // Depth 3 passes (control), depth 4 does not: the selection below nests one level deeper via a fragment on the same type.
    const passing = await graphql(gateway.url, query);
    expect(passing.body.errors).toBeUndefined();
    await emulator.dev.reset();
    const tooDeep = `mutation { ${exchange("deep", assertions[3]!, "awsAdditionalDetails { ... on AwsAdditionalDetails { identityContext } } accessToken")} }`;
    await expectRefusedBeforeExecution(tooDeep, { status: 400, code: "GRAPHQL_VALIDATION_FAILED", message: /^Query depth limit of 3 exceeded, found \d+\. \(MAX_DEPTH\)$/, reason: "max_depth" });
  });

  it("refuses more directives than MAX_DIRECTIVES before execution", async () => {
    const fields = Array.from({ length: 11 }, (_, i) => `f${i}: accessToken @include(if: true)`).join(" ");
    const query = `mutation { ${exchange("d", assertions[4]!, fields)} }`;
    await expectRefusedBeforeExecution(query, { status: 400, code: "GRAPHQL_VALIDATION_FAILED", message: /^Directives limit of 10 exceeded, found 11\. \(MAX_DIRECTIVES\)$/, reason: "max_directives" });
  });

  it("refuses a document costlier than MAX_COST before execution", async () => {
    const fields = "accessToken tokenType expiresIn refreshToken idToken issuedTokenType scope expiresAt isAwsToken";
    const query = `mutation { ${assertions.slice(5, 15).map((assertion, i) => exchange(`c${i}`, assertion, fields)).join(" ")} }`;
    await expectRefusedBeforeExecution(query, { status: 400, code: "GRAPHQL_VALIDATION_FAILED", message: /^Query Cost limit of 100 exceeded, found \d+\. \(MAX_COST\)$/, reason: "max_cost" });
  });

  it("stops parsing a document longer than MAX_TOKENS (GRAPHQL_PARSE_FAILED) before execution", async () => {
    const query = `mutation { ${exchange("t", assertions[15]!, `accessToken ${"__typename ".repeat(400)}`)} }`;
    await expectRefusedBeforeExecution(query, { status: 400, code: "GRAPHQL_PARSE_FAILED", message: /^Syntax Error: Document contains more th(?:an|at) 400 tokens\. Parsing aborted\. \(MAX_TOKENS\)$/, reason: "max_tokens" });
  });
});
