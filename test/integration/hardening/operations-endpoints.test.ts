import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { dataOf, graphql } from "../../support/gateway-client.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * The operations endpoints and the graceful shutdown of the real gateway process (embedded
 * emulator): /readyz with its checks, /metrics in Prometheus text with closed labels, and on
 * SIGTERM: /readyz 503 first, the in-flight exchange finishing with data, exit code 0.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({ env: { RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});

const exchangeMutation = `mutation Exchange($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { accessToken } }`;
const readyz = async () => {
  const response = await fetch(new URL("/readyz", gateway.url));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("operations endpoints", () => {
  it("answers GET /readyz with 200 and its upstream, store and STS checks (the embedded emulator turns identity-enhanced credentials on)", async () => {
    const { status, body } = await readyz();
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ready", checks: { upstream: { ok: true }, store: { ok: true }, sts: { ok: true } } });
    expect(Object.keys(body.checks as object).sort()).toEqual(["store", "sts", "upstream"]);
  });

  it("serves Prometheus metrics with requests by root field and outcome, never the client's operation name", async () => {
    const assertion = await emulator.mintAssertion({ sub: "metrics-user" });
    dataOf(await graphql(gateway.url, exchangeMutation, { assertion }));
    await graphql(gateway.url, `query MyVeryOwnName${Date.now()} { __typename }`);
    await graphql(gateway.url, `{ nope }`);
    const response = await fetch(new URL("/metrics", gateway.url));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('idc_gateway_graphql_requests_total{operation="createTokenWithIAM",outcome="ok"} 1');
    expect(text).toContain('idc_gateway_graphql_requests_total{operation="__typename",outcome="ok"} 1');
    expect(text).toContain('idc_gateway_graphql_requests_total{operation="invalid",outcome="GRAPHQL_VALIDATION_FAILED"} 1');
    expect(text).toMatch(/idc_gateway_graphql_duration_seconds_count\{operation="createTokenWithIAM"\} 1/);
    expect(text).not.toContain("MyVeryOwnName");
    expect(text).toContain("idc_gateway_process_resident_memory_bytes");
  });
});

describe("graceful shutdown on SIGTERM", () => {
  it("fails readiness first, lets the in-flight exchange finish with data, then exits 0", async () => {
    const assertion = await emulator.mintAssertion({ sub: "drain-user" });
    await emulator.reset();
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1000, count: 1 });
    const inFlight = graphql(gateway.url, exchangeMutation, { assertion });
    // The emulator counts a call on arrival, before its injected latency: then it is in flight.
    await until(async () => (await emulator.createTokenWithIAMCalls()) === 1, "the exchange to reach the emulator");

    gateway.child.kill("SIGTERM");
    await until(async () => (await readyz()).status === 503, "/readyz to answer 503");
    expect((await readyz()).body).toEqual({ status: "draining", checks: {} });

    const result = await inFlight;
    expect(result.status).toBe(200);
    expect(dataOf(result).createTokenWithIAM.accessToken).toMatch(/^aoa/);
    const { code } = await gateway.exited;
    expect(code).toBe(0);
    expect(gateway.logLines().map((line) => line.msg)).toEqual(expect.arrayContaining(["gateway stopping", "gateway stopped"]));
  });
});

describe("shutdown bounded by SHUTDOWN_TIMEOUT_MS", () => {
  it("exits 1 when an in-flight request outlasts the timeout", async () => {
    const slow = await startGateway({ env: { RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", SHUTDOWN_TIMEOUT_MS: "300" } });
    try {
      const slowEmulator = emulatorApi(slow.emulatorUrl!);
      const assertion = await slowEmulator.mintAssertion({ sub: "slow-user" });
      await slowEmulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 4000, count: 1 });
      const inFlight = graphql(slow.url, exchangeMutation, { assertion }).catch((error: unknown) => error);
      await until(async () => (await slowEmulator.createTokenWithIAMCalls()) === 1, "the exchange to reach the emulator");
      slow.child.kill("SIGTERM");
      const { code } = await slow.exited;
      expect(code).toBe(1);
      expect(slow.logLines().map((line) => line.msg)).toContain("gateway did not stop within SHUTDOWN_TIMEOUT_MS; exiting anyway");
      await inFlight;
    } finally {
      await slow.stop();
    }
  });
});
