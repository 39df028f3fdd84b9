import { describe, expect, it } from "vitest";
import type { OperationLimits } from "../../../src/config/config.types.js";
import { createGatewayMetrics } from "../../../src/metrics/metrics.js";
import { createOperationLimits } from "../../../src/server/limits/operation-limits.js";
import { postGraphQL, testConfig, withInProcessGateway, type InProcessGateway } from "./server-fixtures.js";

/**
 * The document limits (MAX_ALIASES, MAX_DEPTH, MAX_DIRECTIVES, MAX_COST, MAX_TOKENS) at their exact
 * edges, over HTTP to a gateway server running in this process: the configured value is the one
 * enforced (not graphql-armor's own default), a refusal names the variable that raises it and is
 * counted under its reason, and nothing runs (the token service records no call). Documents within
 * the limits run against a token service that answers one fixed token (these tests are about the
 * document, not the exchange).
 *
 * Two configurations: TIGHT, with every limit below graphql-armor's defaults (15 aliases, depth 6,
 * 50 directives, cost 5000, 1000 tokens), counted in metrics; ROOMY, with limits above them and no
 * metrics (a refusal must not depend on a metrics registry being there).
 */

const TIGHT: Partial<OperationLimits> = { maxAliases: 2, maxDepth: 2, maxDirectives: 1, maxCost: 20, maxTokens: 30 };
const ROOMY: Partial<OperationLimits> = { maxAliases: 20, maxDepth: 10, maxDirectives: 60, maxCost: 100_000, maxTokens: 1500 };


type Rejections = () => Promise<Record<string, number>>;

/** Runs `use` against a gateway with these limits, started for the test (see withInProcessGateway), counting refusals in its own metrics or in none. */
function withLimits(limits: Partial<OperationLimits>, use: (gateway: InProcessGateway, rejections: Rejections) => Promise<void>, options: { metrics: boolean } = { metrics: true }) {
  const metrics = options.metrics ? createGatewayMetrics({ collectDefaults: false }) : undefined;
  const rejections: Rejections = async () => Object.fromEntries((metrics ? (await metrics.rejections.get()).values : []).map(({ labels, value }) => [String(labels.reason), value]));
  return withInProcessGateway({ config: { operationLimits: { ...testConfig().operationLimits, ...limits } }, ...(metrics ? { metrics } : {}) }, (gateway) => use(gateway, rejections));
}

const refusal = (message: string) => ({ status: 400, body: { errors: [{ message, extensions: { code: "GRAPHQL_VALIDATION_FAILED", retryable: false } }] } });
/** n × `__typename`, wrapped in `{ }`: n + 2 tokens, cost n. */
const typenames = (n: number) => `{ ${"__typename ".repeat(n)}}`;
/** A refresh whose scope literal holds n strings: exactly n + 20 tokens, depth 2, few fields. */
const refreshOfTokens = (n: number) => `mutation { refreshToken(input: { refreshToken: "r", scope: [${' "s"'.repeat(n)} ] }) { tokenType } }`;
const refreshed = { status: 200, body: { data: { refreshToken: { tokenType: "Bearer" } } } };
const tokensRefusal = (limit: number) => ({
  status: 400,
  body: { errors: [{ message: `Syntax Error: Document contains more that ${limit} tokens. Parsing aborted. (MAX_TOKENS)`, locations: [{ line: 1, column: expect.any(Number) }], extensions: { code: "GRAPHQL_PARSE_FAILED", retryable: false } }] },
});
/** Depth 3: the deepest selection the schema offers outside introspection. */
const DEPTH_3 = 'mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "eyJ" }) { awsAdditionalDetails { identityContext } } }';

describe("the configured document limits, not graphql-armor's defaults, at their exact edges", () => {
  it("MAX_ALIASES: 2 aliases run, 3 are refused naming MAX_ALIASES and counted as max_aliases", () =>
    withLimits(TIGHT, async (tight, rejections) => {
      expect(await postGraphQL(tight.url, "{ a: gateway { version } b: gateway { region } }")).toEqual({ status: 200, body: { data: { a: { version: expect.any(String) }, b: { region: "eu-west-1" } } } });
      expect(await postGraphQL(tight.url, "{ a: gateway { version } b: gateway { region } c: gateway { region } }")).toEqual(refusal("Aliases limit of 2 exceeded, found 3. (MAX_ALIASES)"));
      expect(await rejections()).toEqual({ max_aliases: 1 });
    }));

  it("MAX_DEPTH: depth 2 runs, depth 3 is refused naming MAX_DEPTH and counted as max_depth, before any exchange", () =>
    withLimits(TIGHT, async (tight, rejections) => {
      expect((await postGraphQL(tight.url, "{ gateway { version } }")).status).toBe(200);
      expect(await postGraphQL(tight.url, DEPTH_3)).toEqual(refusal("Query depth limit of 2 exceeded, found 3. (MAX_DEPTH)"));
      expect(await rejections()).toEqual({ max_depth: 1 });
      expect(tight.calls).toEqual([]);
    }));

  it("MAX_DIRECTIVES: 1 directive runs, 2 are refused naming MAX_DIRECTIVES and counted as max_directives", () =>
    withLimits(TIGHT, async (tight, rejections) => {
      expect((await postGraphQL(tight.url, "{ gateway { version @skip(if: false) } }")).status).toBe(200);
      expect(await postGraphQL(tight.url, "{ gateway { version @skip(if: false) region @skip(if: false) } }")).toEqual(refusal("Directives limit of 1 exceeded, found 2. (MAX_DIRECTIVES)"));
      expect(await rejections()).toEqual({ max_directives: 1 });
    }));

  it("MAX_COST: cost 20 runs, 21 is refused naming MAX_COST and counted as max_cost", () =>
    withLimits(TIGHT, async (tight, rejections) => {
      expect(await postGraphQL(tight.url, typenames(20))).toEqual({ status: 200, body: { data: { __typename: "Query" } } });
      expect(await postGraphQL(tight.url, typenames(21))).toEqual(refusal("Query Cost limit of 20 exceeded, found 21. (MAX_COST)"));
      expect(await rejections()).toEqual({ max_cost: 1 });
    }));

  it("MAX_TOKENS: 30 tokens run, 31 are refused at parse naming MAX_TOKENS and counted as max_tokens", () =>
    withLimits(TIGHT, async (tight, rejections) => {
      expect(await postGraphQL(tight.url, refreshOfTokens(10))).toEqual(refreshed);
      expect(await postGraphQL(tight.url, refreshOfTokens(11))).toEqual(tokensRefusal(30));
      expect(await rejections()).toEqual({ max_tokens: 1 });
    }));

  it("above graphql-armor's default of 1000 tokens: 1,500 tokens run (armor's own token rule is off), 1,501 are refused", () =>
    withLimits(ROOMY, async (roomy) => {
      expect(await postGraphQL(roomy.url, refreshOfTokens(1480))).toEqual(refreshed);
      expect(await postGraphQL(roomy.url, refreshOfTokens(1481))).toEqual(tokensRefusal(1500));
    }, { metrics: false }));

  it("without a metrics registry, every refusal answers the same (GRAPHQL_VALIDATION_FAILED / GRAPHQL_PARSE_FAILED, variable named), and nothing runs", () =>
    withLimits(ROOMY, async (roomy) => {
      const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: gateway { version }`).join(" ")} }`;
      expect((await postGraphQL(roomy.url, aliases(20))).status).toBe(200);
      expect(await postGraphQL(roomy.url, aliases(21))).toEqual(refusal("Aliases limit of 20 exceeded, found 21. (MAX_ALIASES)"));
      expect(await postGraphQL(roomy.url, refreshOfTokens(1481))).toEqual(tokensRefusal(1500));
      expect(roomy.calls).toEqual([]);
    }, { metrics: false }));

  it("keeps graphql-js's field suggestions while introspection is on (graphql-armor's suggestion blocking is off)", () =>
    withLimits(TIGHT, async (tight) => {
      expect(await postGraphQL(tight.url, "{ gateway { versio } }")).toEqual({
        status: 400,
        body: { errors: [{ message: 'Cannot query field "versio" on type "GatewayInfo". Did you mean "version"?', locations: [{ line: 1, column: 13 }], extensions: { code: "GRAPHQL_VALIDATION_FAILED", retryable: false } }] },
      });
    }));
});

describe("createOperationLimits' own options", () => {
  const valid = testConfig().operationLimits;

  it("accepts limits of exactly 1 and refuses 0, naming the option and the value", () => {
    expect(() => createOperationLimits({ limits: { ...valid, maxAliases: 1, maxDepth: 1, maxDirectives: 1, maxCost: 1, maxTokens: 1 }, metrics: undefined })).not.toThrow();
    expect(() => createOperationLimits({ limits: { ...valid, maxCost: 0 }, metrics: undefined })).toThrow(new TypeError("createOperationLimits: limits.maxCost must be a positive integer (got 0)"));
  });

  it("refuses a JavaScript caller passing no options with the contract's message, not a TypeError from inside", () => {
    expect(() => createOperationLimits(undefined as never)).toThrow(new TypeError("createOperationLimits: limits.maxAliases must be a positive integer (got undefined)"));
    expect(() => createOperationLimits({} as never)).toThrow(new TypeError("createOperationLimits: limits.maxAliases must be a positive integer (got undefined)"));
  });
});
