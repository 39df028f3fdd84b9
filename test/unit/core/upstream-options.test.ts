import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createUpstream, type CreateUpstreamOptions } from "../../../src/upstream/index.js";
import { ReplayGuardedRetryStrategy } from "../../../src/upstream/replay-guard.js";

const logger = createLogger({ level: "silent" });
const base: CreateUpstreamOptions = { region: "us-east-1", endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" }, timeoutMs: 200, connectTimeoutMs: 200, maxAttempts: 1, logger };

describe("createUpstream options", () => {
  const cases: Array<[Partial<CreateUpstreamOptions>, string]> = [
    [{ region: "" }, 'createUpstream: options.region must be a non-empty AWS region name (got "")'],
    [{ endpoint: "localhost:4001" }, 'createUpstream: options.endpoint must be an http:// or https:// URL when given (got "localhost:4001")'],
    [{ timeoutMs: 0 }, "createUpstream: options.timeoutMs must be an integer >= 1 (got 0)"],
    [{ connectTimeoutMs: 1.5 }, "createUpstream: options.connectTimeoutMs must be an integer >= 1 (got 1.5)"],
    [{ maxAttempts: 0 }, "createUpstream: options.maxAttempts must be an integer >= 1 (got 0)"],
    [{ deadlineMs: 0 }, "createUpstream: options.deadlineMs must be an integer >= 1 (got 0)"],
    [{ singleUseAnswerTimeoutMs: -5 }, "createUpstream: options.singleUseAnswerTimeoutMs must be an integer >= 1 (got -5)"],
    [{ credentials: { accessKeyId: "AKID", secretAccessKey: "" } }, "createUpstream: options.credentials must have a non-empty accessKeyId and secretAccessKey when given"],
  ];
  it.each(cases)("rejects %j with a message restating the contract", (overrides, message) => {
    expect(() => createUpstream({ ...base, ...overrides })).toThrow(new TypeError(message));
  });
});

describe("createUpstream timeouts", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** A server that accepts every request and never answers; counts requests and the ones the client closed. */
  async function hangingServer(): Promise<{ url: string; requests: () => number; closedByClient: () => number }> {
    let requests = 0;
    let closed = 0;
    server = createServer((request) => {
      requests++;
      request.socket.once("close", () => void closed++);
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests, closedByClient: () => closed };
  }
  const JWT_BEARER = { clientId: "c", grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "a" } as const;

  it("throws UPSTREAM_UNAVAILABLE when a server accepts the request and never answers", async () => {
    const hanging = await hangingServer();
    const upstream = createUpstream({ ...base, endpoint: hanging.url, timeoutMs: 250 });
    const error = await upstream.createTokenWithIAM(JWT_BEARER).catch((caught: unknown) => caught);
    upstream.destroy();
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe("UPSTREAM_UNAVAILABLE");
    expect(hanging.requests()).toBe(1);
  });

  it("ends a replayable call at deadlineMs, before its attempt's own timeout, and aborts the request in flight", async () => {
    const hanging = await hangingServer();
    const upstream = createUpstream({ ...base, endpoint: hanging.url, timeoutMs: 60_000, maxAttempts: 3, deadlineMs: 300 });
    const error = await upstream.createTokenWithIAM(JWT_BEARER).catch((caught: unknown) => caught);
    expect((error as GatewayError).code).toBe("UPSTREAM_UNAVAILABLE");
    expect((error as GatewayError).message).toBe("Identity Center did not answer within the gateway's deadline (300 ms, retries included). Retry later.");
    await expect.poll(hanging.closedByClient).toBe(1);
    expect(hanging.requests()).toBe(1);
    upstream.destroy();
  });

  it("lets a refresh wait past timeoutMs, up to singleUseAnswerTimeoutMs, then UPSTREAM_UNAVAILABLE after one request", async () => {
    const hanging = await hangingServer();
    const upstream = createUpstream({ ...base, endpoint: hanging.url, timeoutMs: 50, maxAttempts: 3, deadlineMs: 100, singleUseAnswerTimeoutMs: 600 });
    const error = await upstream.createTokenWithIAM({ clientId: "c", grantType: "refresh_token", refreshToken: "r" }).catch((caught: unknown) => caught);
    expect((error as GatewayError).code).toBe("UPSTREAM_UNAVAILABLE");
    expect((error as GatewayError).message).toBe("Identity Center did not answer within 600 ms.");
    expect(hanging.requests()).toBe(1);
    upstream.destroy();
  });

  it("throws UPSTREAM_UNAVAILABLE when nothing listens", async () => {
    const upstream = createUpstream(base);
    const error = await upstream.createTokenWithIAM({ clientId: "c", grantType: "refresh_token", refreshToken: "r" }).catch((caught: unknown) => caught);
    upstream.destroy();
    expect((error as GatewayError).code).toBe("UPSTREAM_UNAVAILABLE");
  });
});

describe("createUpstream circuit breaker options", () => {
  it.each([
    [{ threshold: 0, cooldownMs: 100 }, "createUpstream: options.circuitBreaker.threshold must be an integer >= 1 (got 0)"],
    [{ threshold: 2, cooldownMs: 0.5 }, "createUpstream: options.circuitBreaker.cooldownMs must be an integer >= 1 (got 0.5)"],
  ])("rejects circuitBreaker %j with a message restating the contract", (circuitBreaker, message) => {
    expect(() => createUpstream({ ...base, circuitBreaker })).toThrow(new TypeError(message));
  });

  it("reports a closed circuit before any call", () => {
    const upstream = createUpstream(base);
    expect(upstream.health()).toEqual({ ok: true, circuit: "closed", credentials: "ok", detail: "circuit closed: Identity Center answers" });
    upstream.destroy();
  });
});

describe("ReplayGuardedRetryStrategy backoff", () => {
  const delayOf = (token: unknown) => (token as { $retryLog: { acquisitionDelay: number } }).$retryLog.acquisitionDelay;

  it("waits a full-jitter exponential delay before a retry: random in [0, 50 ms × 2^retry), not a fixed step", async () => {
    const firstDelays: number[] = [];
    const secondDelays: number[] = [];
    for (let trial = 0; trial < 12; trial++) {
      const strategy = new ReplayGuardedRetryStrategy(3, { replayable: true });
      const first = await strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken("sso-oidc"), { errorType: "TRANSIENT" });
      firstDelays.push(delayOf(first));
      secondDelays.push(delayOf(await strategy.refreshRetryTokenForRetry(first, { errorType: "TRANSIENT" })));
    }
    for (const delay of firstDelays) expect(delay).toBeGreaterThanOrEqual(0), expect(delay).toBeLessThan(50);
    for (const delay of secondDelays) expect(delay).toBeGreaterThanOrEqual(0), expect(delay).toBeLessThan(100);
    expect(new Set(firstDelays).size).toBeGreaterThan(3);
  });

  it("refuses a retry of a non-replayable call unless the fault was throttling", async () => {
    const strategy = new ReplayGuardedRetryStrategy(3, { replayable: false });
    const token = await strategy.acquireInitialRetryToken("sso-oidc");
    const retry = (errorType: "TRANSIENT" | "SERVER_ERROR" | "THROTTLING") => strategy.refreshRetryTokenForRetry(token, { errorType });
    await expect(retry("TRANSIENT")).rejects.toThrow("retry refused: the request is not replayable");
    await expect(retry("SERVER_ERROR")).rejects.toThrow("retry refused: the request is not replayable");
    // Throttling is retried: the token handed back is the first retry's.
    expect((await retry("THROTTLING")).getRetryCount()).toBe(1);
  });

  it("retries a replayable call after a transient fault (timeouts, dropped connections, 500/502/503/504)", async () => {
    const strategy = new ReplayGuardedRetryStrategy(3, { replayable: true });
    const token = await strategy.acquireInitialRetryToken("sso-oidc");
    expect((await strategy.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT" })).getRetryCount()).toBe(1);
  });

  it("never retries a throttled call of a client made with retryThrottling: false (STS: the quota is the account's), and still retries transient faults", async () => {
    const strategy = new ReplayGuardedRetryStrategy(3, { replayable: true, retryThrottling: false });
    const token = await strategy.acquireInitialRetryToken("sts");
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "THROTTLING" })).rejects.toThrow("retry refused: throttled");
    const slowDown = Object.assign(new Error("slow down"), { name: "SlowDownException" });
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "CLIENT_ERROR", error: slowDown as never })).rejects.toThrow("retry refused: throttled");
    expect((await strategy.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT" })).getRetryCount()).toBe(1);
  });

  it("fails closed: without an explicit replayable: true, a transient fault is not retried", async () => {
    const strategy = new ReplayGuardedRetryStrategy(3, {} as { replayable: boolean });
    await expect(strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken("sso-oidc"), { errorType: "TRANSIENT" })).rejects.toThrow("retry refused: the request is not replayable");
  });
});
