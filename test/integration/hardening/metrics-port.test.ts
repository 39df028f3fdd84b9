import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/** METRICS_PORT: /metrics on a listener of its own (same HOST), gone from PORT; it starts and stops with the gateway. */

let gateway: GatewayProcess;
let withoutMetricsPort: GatewayProcess;

beforeAll(async () => {
  [gateway, withoutMetricsPort] = await Promise.all([
    startGateway({ env: { METRICS_PORT: "0", HOST: "127.0.0.1" } }),
    startGateway({ env: { HOST: "127.0.0.1" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), withoutMetricsPort?.stop()]);
});

describe("METRICS_PORT", () => {
  it("serves GET /metrics on its own port, in the Prometheus text format", async () => {
    const metricsUrl = gateway.readyLog.metricsUrl;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl as string).port).not.toBe(new URL(gateway.url).port);
    const response = await fetch(metricsUrl as string);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toMatch(/^# HELP /m);
    expect((await fetch(new URL("/graphql", metricsUrl as string))).status).toBe(404);
  });

  it("no longer serves /metrics on PORT (404), while /healthz and /graphql stay there", async () => {
    expect((await fetch(new URL("/metrics", gateway.url))).status).toBe(404);
    expect((await fetch(new URL("/healthz", gateway.url))).status).toBe(200);
  });

  it("leaves /metrics on PORT when unset", async () => {
    expect(withoutMetricsPort.readyLog.metricsUrl).toBeUndefined();
    expect((await fetch(new URL("/metrics", withoutMetricsPort.url))).status).toBe(200);
  });

  it("stops with the gateway: after SIGTERM nothing answers on the metrics port", async () => {
    const metricsUrl = gateway.readyLog.metricsUrl as string;
    expect(await gateway.stop()).toBe(0);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});
