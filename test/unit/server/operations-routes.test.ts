import { afterEach, describe, expect, it } from "vitest";
import { createGatewayMetrics, type GatewayMetrics } from "../../../src/metrics/metrics.js";
import { createGatewayServer, createReadinessCheck, type GatewayServer, type ReadinessCheck } from "../../../src/server/index.js";
import { createOperationLimits } from "../../../src/server/limits/operation-limits.js";
import { METRICS_RENDERINGS_PER_SECOND } from "../../../src/server/metrics.route.js";
import { STORE_HEALTH_PROBES_PER_SECOND } from "../../../src/server/readiness-checks.js";
import { capturingLogger, fakeTokenService, postGraphQL, testConfig } from "./server-fixtures.js";

/**
 * /readyz and /metrics on the server with a fake token service: readiness reports its checks
 * and fails during shutdown; the metrics plugin's labels stay a closed set whatever is sent.
 */
const servers: GatewayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: { readiness?: ReadinessCheck; metrics?: GatewayMetrics } = {}) {
  const { tokenService } = fakeTokenService(() => {
    throw new Error("no exchange in these tests");
  });
  const server = await createGatewayServer({ config: testConfig(), tokenService, logger: capturingLogger().logger, upstreamLabel: "fake", ...options });
  servers.push(server);
  const { url } = await server.listen(0, "127.0.0.1");
  return { server, url, origin: new URL(url).origin };
}

/** `total` GETs of `path`, 16 at a time on keep-alive connections; the statuses, and the seconds the flood took. */
async function flood(origin: string, path: string, total: number): Promise<{ statuses: Set<number>; seconds: number }> {
  const statuses = new Set<number>();
  const startedAt = performance.now();
  let sent = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (sent < total) {
      sent += 1;
      const response = await fetch(`${origin}${path}`);
      await response.arrayBuffer();
      statuses.add(response.status);
    }
  }));
  return { statuses, seconds: (performance.now() - startedAt) / 1000 };
}

describe("GET /readyz", () => {
  it.each([
    { when: "every check is ok", upstream: { ok: true, detail: "circuit closed" }, store: { ok: true, status: "up", detail: "memory" }, http: 200, status: "ready" },
    {
      when: "the store serves from process memory (degraded)", upstream: { ok: true, detail: "circuit closed" },
      store: { ok: true, status: "degraded", detail: "degraded: redis unreachable (ECONNREFUSED)" }, http: 200, status: "degraded",
    },
    {
      // Identity Center failing fails every replica alike: out of rotation, all would leave at once.
      when: "the upstream circuit is open and the gateway's credentials are fine (degraded: still in rotation)",
      upstream: { ok: false, detail: "circuit open: failing fast", credentials: "ok" as const },
      store: { ok: true, status: "up", detail: "memory" }, http: 200, status: "degraded",
    },
    {
      when: "the gateway's own AWS credentials are rejected (not ready, whatever the store says)",
      upstream: { ok: false, detail: "AWS rejected the gateway's own AWS credentials", credentials: "rejected" as const },
      store: { ok: true, status: "degraded", detail: "redis unreachable, serving from memory" }, http: 503, status: "not ready",
    },
    {
      when: "the upstream is not ok and its source says nothing of credentials (not ready)", upstream: { ok: false, detail: "circuit open: failing fast" },
      store: { ok: true, status: "up", detail: "memory" }, http: 503, status: "not ready",
    },
  ])("answers $http $status with the checks when $when", async ({ upstream, store, http, status }) => {
    const readiness = createReadinessCheck({ upstream: { health: () => upstream }, store: { health: async () => store } });
    const { origin } = await serve({ readiness });
    const response = await fetch(`${origin}/readyz`);
    expect(response.status).toBe(http);
    expect(await response.json()).toEqual({ status, checks: { upstream: { ok: upstream.ok, detail: upstream.detail }, store: { ok: store.ok, detail: store.detail } } });
  });

  it("says degraded (200), naming checks.sts, while STS's circuit is open (credentials on): STS failing fails every replica alike", async () => {
    const sts = { ok: false, detail: "circuit open after 3 consecutive availability faults; next probe in 900 ms" };
    const readiness = createReadinessCheck({ upstream: { health: () => ({ ok: true, detail: "circuit closed" }) }, store: { health: async () => ({ ok: true, status: "up", detail: "memory" }) }, sts: { health: () => sts } });
    const { origin } = await serve({ readiness });
    const response = await fetch(`${origin}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "degraded", checks: { upstream: { ok: true, detail: "circuit closed" }, store: { ok: true, detail: "memory" }, sts } });
  });

  it(`probes the store at most ${STORE_HEALTH_PROBES_PER_SECOND} times a second however often it is asked (each probe is a Redis write), and answers every ask`, async () => {
    let probes = 0;
    const readiness = createReadinessCheck({ store: { health: async () => ({ ok: true, status: "up", detail: `probe ${++probes}` }) } });
    const { origin } = await serve({ readiness });
    const { statuses, seconds } = await flood(origin, "/readyz", 400);
    expect(statuses).toEqual(new Set([200]));
    expect(probes).toBeGreaterThanOrEqual(STORE_HEALTH_PROBES_PER_SECOND);
    expect(probes).toBeLessThanOrEqual(STORE_HEALTH_PROBES_PER_SECOND * Math.ceil(seconds + 1));
    // A probe a few times a second sees a fresh answer each time.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const details = [];
    for (let i = 0; i < 3; i++) {
      details.push(((await (await fetch(`${origin}/readyz`)).json()) as { checks: { store: { detail: string } } }).checks.store.detail);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(new Set(details).size).toBe(3);
  });

  it("answers 503 when the check itself throws", async () => {
    const { origin } = await serve({ readiness: async () => { throw new Error("boom"); } });
    const response = await fetch(`${origin}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", checks: { readiness: { ok: false, detail: "check failed: boom" } } });
  });

  it("answers 503 draining as soon as close() starts, while a GraphQL request is still in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { tokenService } = fakeTokenService(async () => {
      await gate;
      throw new Error("released");
    });
    const server = await createGatewayServer({ config: testConfig(), tokenService, logger: capturingLogger().logger, upstreamLabel: "fake" });
    const { url } = await server.listen(0, "127.0.0.1");
    const inFlight = postGraphQL(url, `mutation { refreshToken(input: { refreshToken: "r" }) { accessToken } }`);
    while (server.inFlightRequests() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = server.close();
    const response = await fetch(new URL("/readyz", url));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "draining", checks: {} });
    release();
    expect((await inFlight).status).toBe(200);
    await closed;
    expect(server.inFlightRequests()).toBe(0);
  });
});

describe("GET /metrics", () => {
  it("labels requests by root field, 'multiple', 'introspection' or 'invalid', and outcome by a known code only", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const { url, origin } = await serve({ metrics });
    await postGraphQL(url, "query ClientChosenName { __typename }");
    await postGraphQL(url, "{ a: __typename b: __typename }");
    await postGraphQL(url, "{ __schema { queryType { name } } }");
    await postGraphQL(url, "{ not valid");
    await postGraphQL(url, `mutation { refreshToken(input: { refreshToken: "r" }) { accessToken } }`);
    const text = await (await fetch(`${origin}/metrics`)).text();
    const lines = text.split("\n").filter((line) => line.startsWith("idc_gateway_graphql_requests_total{"));
    expect(lines.sort()).toEqual([
      'idc_gateway_graphql_requests_total{operation="__typename",outcome="ok"} 1',
      'idc_gateway_graphql_requests_total{operation="introspection",outcome="ok"} 1',
      'idc_gateway_graphql_requests_total{operation="invalid",outcome="GRAPHQL_PARSE_FAILED"} 1',
      'idc_gateway_graphql_requests_total{operation="multiple",outcome="ok"} 1',
      'idc_gateway_graphql_requests_total{operation="refreshToken",outcome="INTERNAL_SERVER_ERROR"} 1',
    ]);
    expect(text).not.toContain("ClientChosenName");
  });

  it(`renders the registry at most ${METRICS_RENDERINGS_PER_SECOND} times a second however often it is scraped, and answers every scrape`, async () => {
    const metrics = createGatewayMetrics();
    let renderings = 0;
    const render = metrics.registry.metrics.bind(metrics.registry);
    metrics.registry.metrics = () => {
      renderings += 1;
      return render();
    };
    const { origin } = await serve({ metrics });
    const { statuses, seconds } = await flood(origin, "/metrics", 400);
    expect(statuses).toEqual(new Set([200]));
    expect(renderings).toBeGreaterThanOrEqual(METRICS_RENDERINGS_PER_SECOND);
    expect(renderings).toBeLessThanOrEqual(METRICS_RENDERINGS_PER_SECOND * Math.ceil(seconds + 1));
  });

  it("is not served without a metrics registry", async () => {
    const { origin } = await serve();
    expect((await fetch(`${origin}/metrics`)).status).toBe(404);
  });
});

describe("createOperationLimits options", () => {
  it("restates the contract on a bad limit", () => {
    const limits = { maxAliases: 0, maxDepth: 8, maxDirectives: 10, maxCost: 1000, maxTokens: 1000, maxBodyBytes: 65_536 };
    expect(() => createOperationLimits({ limits, metrics: undefined })).toThrow("createOperationLimits: limits.maxAliases must be a positive integer (got 0)");
  });
});
