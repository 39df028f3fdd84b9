import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../../support/gateway-client.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Selections are bounded with fragments expanded, before graphql-js compares them pairwise and
 * graphql-jit compiles them (src/server/limits/expanded-selections.rule.ts). An attacker review,
 * each document within MAX_TOKENS, MAX_COST, MAX_DEPTH and MAX_ALIASES:
 * - 249 × `gateway { version }` (5 KB, cost 872) ran, and cost 15–60 ms of CPU to validate; one
 *   caller sending distinct ones at its allowance (20/s, burst 40) took 3.9 s of the gateway's CPU
 *   in 6 s and held another caller's /healthz at a p99 of 770 ms;
 * - `__schema { types { ofType { … 300 deep } } }` (3.3 KB; graphql-armor's depth and cost limits
 *   skip `__schema`) ran, ~500 ms each, most of it graphql-jit compiling: one caller at its
 *   allowance for 4 s took 12.8 s of CPU and /healthz answered after 26 s.
 * Now both are refused and validation stops there (test/unit/server/expanded-selections.test.ts counts
 * what runs after; bench's (hostile) row sends both at the attacker's allowance and times the bystander);
 * documents that repeat a field a few times (fragments, `__typename`) and the standard introspection
 * query still run.
 */

let gateway: GatewayProcess;

beforeAll(async () => {
  // The caller limit off only to send the documents back to back.
  gateway = await startGateway({ env: { HOST: "127.0.0.1", RATE_LIMIT_CALLER_PER_SECOND: "0" } });
});
afterAll(async () => {
  await gateway?.stop();
});

/** n × `gateway { version }`: 4n + 2 tokens, cost 3.5n; `tag` (a comment) makes each document distinct (Apollo's document store caches validated ones). */
const repeated = (n: number, tag = "") => `{ ${"gateway { version } ".repeat(n)}} # ${tag}`;

/** `__schema { types { ofType { … } } }` with `levels` nested ofType. */
const deepIntrospection = (levels: number, tag = "") => `query Deep { __schema { types { ${"ofType { ".repeat(levels)}name ${"} ".repeat(levels)}} } } # ${tag}`;

describe("selections with fragments expanded", () => {
  it("refuses 249 × `gateway { version }` (within every other limit) with GRAPHQL_VALIDATION_FAILED naming the bound", async () => {
    const result = await graphql(gateway.url, repeated(249, "once"));
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(result.body.errors?.[0]?.message).toMatch(/^Repeated selections limit of 2000 pairs exceeded \("gateway" is selected 46 times in one place, fragments included\)/);
    const metrics = await (await fetch(new URL("/metrics", gateway.url))).text();
    expect(metrics).toMatch(/idc_gateway_rejections_total\{reason="expanded_selections"\} [1-9]/);
  });

  it("runs documents that repeat fields within the bound: 45 × `gateway { version }`, `__typename` in 30 fragments, the introspection query", async () => {
    const atBound = await graphql(gateway.url, repeated(45));
    expect(atBound.status).toBe(200);
    expect(atBound.body).toEqual({ data: { gateway: { version: expect.any(String) } } });

    const fragments = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { __typename gateway { version } }`).join(" ");
    const spread = await graphql(gateway.url, `query Spread { ${Array.from({ length: 30 }, (_, i) => `...F${i}`).join(" ")} } ${fragments}`);
    expect(spread.body).toEqual({ data: { __typename: "Query", gateway: { version: expect.any(String) } } });

    const introspection = await graphql(gateway.url, getIntrospectionQuery());
    expect(introspection.status).toBe(200);
    expect(introspection.body.errors).toBeUndefined();
  });

  it("refuses introspection nested 300 deep beneath __schema with GRAPHQL_VALIDATION_FAILED naming the bound; 30 deep runs", async () => {
    const deep = await graphql(gateway.url, deepIntrospection(300, "once"));
    expect(deep.status).toBe(400);
    expect(deep.body.data).toBeUndefined();
    expect(deep.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(deep.body.errors?.[0]?.message).toMatch(/^Introspection depth limit of 32 exceeded/);

    // Through a chain of fragments on __Type as well.
    const chain = `query Chain { __schema { types { ...F0 } } } ${Array.from({ length: 40 }, (_, k) => `fragment F${k} on __Type { ofType { ...F${k + 1} } }`).join(" ")} fragment F40 on __Type { name }`;
    expect((await graphql(gateway.url, chain)).body.errors?.[0]?.message).toMatch(/^Introspection depth limit of 32 exceeded/);

    const within = await graphql(gateway.url, deepIntrospection(30));
    expect(within.status).toBe(200);
    expect(within.body.errors).toBeUndefined();
  });

  it("refuses a repeated field spread through fragments and inline fragments as it refuses it written out", async () => {
    const fragments = Array.from({ length: 70 }, (_, i) => `fragment F${i} on Query { gateway { version } }`).join(" ");
    const spread = await graphql(gateway.url, `query Spread { ${Array.from({ length: 70 }, (_, i) => `...F${i}`).join(" ")} } ${fragments}`);
    expect(spread.status).toBe(400);
    expect(spread.body.errors?.[0]?.message).toMatch(/^Repeated selections limit of 2000 pairs exceeded/);

    const inline = await graphql(gateway.url, `{ ${"... on Query { gateway { version } } ".repeat(70)}}`);
    expect(inline.status).toBe(400);
    expect(inline.body.errors?.[0]?.message).toMatch(/^Repeated selections limit of 2000 pairs exceeded/);
  });
});
