import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayMetrics } from "../../../src/metrics/metrics.js";
import { createRateLimits, type RateLimits } from "../../../src/ratelimit/index.js";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { graphql } from "../../support/gateway-client.js";
import { SHARED_REDIS_URL, describeNeeding, probeRedisServerBinary, probeSharedRedis } from "../../support/test-dependencies.js";
import { findFreePort, startRedisServer } from "../store/redis-test-support.js";
import { exchange, rejections, startHardenedGateway, type HardenedGateway } from "./hardening-fixture.js";

/**
 * Rate limits per caller (client IP → HTTP 429 + Retry-After, before Apollo) and per
 * application (clientId → RATE_LIMITED before the upstream call), in memory and on real Redis
 * (shared by replicas; a Redis outage degrades to per-process counting).
 */
const sharedRedis = await probeSharedRedis();
const redisServerBinary = probeRedisServerBinary();
const logger = createLogger({ level: "silent" });
let emulator: TestEmulator;
const started: Array<{ stop(): Promise<void> } | RateLimits> = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterEach(async () => {
  for (const item of started.splice(0)) await ("close" in item ? item.close() : item.stop());
  await emulator.dev.reset();
});
afterAll(async () => {
  await emulator?.stop();
});

async function gatewayWith(env: Record<string, string>): Promise<HardenedGateway> {
  const gateway = await startHardenedGateway(emulator, env);
  started.push(gateway);
  return gateway;
}

function limits(rateLimits: { applicationPerSecond: number; callerPerSecond: number; callerBurst: number }, redisUrl?: string, keyPrefix = `test:rl:${randomUUID()}`) {
  const created = createRateLimits({ config: { rateLimits }, redisUrl, logger, keyPrefix });
  started.push(created);
  return created;
}

const typename = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query: "{ __typename }" }) });

describe("per-caller rate limit", () => {
  it("answers the request over RATE_LIMIT_CALLER_PER_SECOND with HTTP 429, Retry-After and RATE_LIMITED", async () => {
    const gateway = await gatewayWith({ RATE_LIMIT_CALLER_PER_SECOND: "2", RATE_LIMIT_CALLER_BURST: "0" });
    const responses = await Promise.all([typename(gateway.url), typename(gateway.url), typename(gateway.url)]);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 429]);
    const refused = responses.find((response) => response.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      errors: [{ message: "Too many requests from this caller (over RATE_LIMIT_CALLER_PER_SECOND=2); retry after 1 s.", extensions: { code: "RATE_LIMITED", retryable: true, retryAfterSeconds: 1 } }],
    });
    expect(await rejections(gateway.metrics, "rate_limited_caller")).toBe(1);
  });

  it("lets a caller spend RATE_LIMIT_CALLER_BURST above the per-second rate before refusing", async () => {
    const gateway = await gatewayWith({ RATE_LIMIT_CALLER_PER_SECOND: "1", RATE_LIMIT_CALLER_BURST: "2" });
    const statuses = (await Promise.all([1, 2, 3, 4].map(() => typename(gateway.url)))).map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("keys callers by X-Forwarded-For only with TRUST_PROXY=true", async () => {
    const trusting = await gatewayWith({ RATE_LIMIT_CALLER_PER_SECOND: "1", RATE_LIMIT_CALLER_BURST: "0", TRUST_PROXY: "true" });
    const trusted = await Promise.all(["10.0.0.1", "10.0.0.2"].map((ip) => typename(trusting.url, { "x-forwarded-for": ip })));
    expect(trusted.map((response) => response.status)).toEqual([200, 200]);
    expect((await typename(trusting.url, { "x-forwarded-for": "10.0.0.1" })).status).toBe(429);

    const direct = await gatewayWith({ RATE_LIMIT_CALLER_PER_SECOND: "1", RATE_LIMIT_CALLER_BURST: "0" });
    expect((await typename(direct.url, { "x-forwarded-for": "10.0.0.1" })).status).toBe(200);
    // Without TRUST_PROXY a forged header does not buy a fresh budget.
    expect((await typename(direct.url, { "x-forwarded-for": "10.0.0.2" })).status).toBe(429);
  });

  it("does not count CORS preflights (OPTIONS) against the caller", async () => {
    const gateway = await gatewayWith({ RATE_LIMIT_CALLER_PER_SECOND: "1", RATE_LIMIT_CALLER_BURST: "0" });
    const preflight = await fetch(gateway.url, { method: "OPTIONS", headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" } });
    expect(preflight.status).not.toBe(429);
    expect((await typename(gateway.url)).status).toBe(200);
    expect((await typename(gateway.url)).status).toBe(429);
  });

  it("is off at RATE_LIMIT_CALLER_PER_SECOND=0", async () => {
    expect(limits({ applicationPerSecond: 0, callerPerSecond: 0, callerBurst: 5 }).caller).toBeUndefined();
  });
});

describe("per-application rate limit", () => {
  it("refuses the exchange over RATE_LIMIT_APP_PER_SECOND with RATE_LIMITED and retryAfterSeconds, before its upstream call", async () => {
    const gateway = await gatewayWith({ RATE_LIMIT_APP_PER_SECOND: "2", RATE_LIMIT_CALLER_PER_SECOND: "0" });
    const assertions = await Promise.all([1, 2, 3].map(async (i) => (await emulator.dev.assertion({ sub: `app-limit-${i}` })).assertion));
    const result = await graphql(gateway.url, `mutation { ${assertions.map((assertion, i) => exchange(`t${i}`, assertion)).join(" ")} }`);
    const errors = result.body.errors ?? [];
    expect(errors).toHaveLength(1);
    expect(errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", retryable: true, retryAfterSeconds: 1 });
    expect(errors[0]!.message).toBe("Too many token exchanges for this application (over RATE_LIMIT_APP_PER_SECOND=2); retry after 1 s.");
    // The response type is non-null, so one refused alias nulls `data`; the two others were still exchanged.
    expect(result.body.data).toBeNull();
    expect((await emulator.dev.stats()).calls.CreateTokenWithIAM).toBe(2);
    expect(await rejections(gateway.metrics, "rate_limited_application")).toBe(1);
  });

  it("counts each application separately", async () => {
    const rateLimits = limits({ applicationPerSecond: 1, callerPerSecond: 0, callerBurst: 0 });
    await rateLimits.application!.consume("app-a");
    await rateLimits.application!.consume("app-b");
    const refusal = await rejectionOf(rateLimits.application!.consume("app-a"));
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 1 } });
  });
});

describeNeeding(sharedRedis, "on Redis", () => {
  it("shares one budget between replicas", async () => {
    const keyPrefix = `test:rl:${randomUUID()}`;
    const replicaA = limits({ applicationPerSecond: 3, callerPerSecond: 0, callerBurst: 0 }, SHARED_REDIS_URL, keyPrefix);
    const replicaB = limits({ applicationPerSecond: 3, callerPerSecond: 0, callerBurst: 0 }, SHARED_REDIS_URL, keyPrefix);
    expect([replicaA.backend, replicaB.backend]).toEqual(["redis", "redis"]);
    await replicaA.application!.consume("app");
    await replicaB.application!.consume("app");
    await replicaA.application!.consume("app");
    expect(await rejectionOf(replicaB.application!.consume("app"))).toMatchObject({ code: "RATE_LIMITED" });

    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const keys = await redis.keys(`${keyPrefix}*`);
      expect(keys).toEqual([`${keyPrefix}:app:app`]);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });
});

describeNeeding(redisServerBinary, "on a Redis of the test's own", () => {
  it("refuses a caller past its limit from memory: its refusals cost Redis nothing until its window ends", async () => {
    const redis = await startRedisServer(await findFreePort());
    const client = new Redis(redis.url);
    try {
      const rateLimits = limits({ applicationPerSecond: 0, callerPerSecond: 2, callerBurst: 3 }, redis.url);
      // Round trips: each consume asked of Redis is one script (EVAL, then EVALSHA), whatever it runs inside.
      const roundTrips = async () => {
        const stats = await client.info("commandstats");
        return [...stats.matchAll(/^cmdstat_(eval|evalsha):calls=(\d+)/gm)].reduce((sum, [, , calls]) => sum + Number(calls), 0);
      };
      const outcomes: string[] = [];
      for (let i = 0; i < 100; i++) outcomes.push(await rateLimits.caller!.consume("203.0.113.7").then(() => "ok", (error: GatewayError) => error.code));
      // Within one second: 2 of the rate and 3 of the burst, then refusals, each RATE_LIMITED.
      expect(outcomes.slice(0, 5)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
      expect(new Set(outcomes.slice(5))).toEqual(new Set(["RATE_LIMITED"]));
      // 2 allowed by the rate; 3 refused by the rate (the first blocks it in memory) and allowed by the
      // burst; the burst's first refusal (which blocks it too): 7, where each of the 95 refusals cost 2.
      expect(await roundTrips()).toBe(7);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});

describe("on a Redis that cannot be reached", () => {
  it("falls back to per-process counting while Redis cannot be reached", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const rateLimits = createRateLimits({ config: { rateLimits: { applicationPerSecond: 2, callerPerSecond: 0, callerBurst: 0 } }, redisUrl: "redis://127.0.0.1:1", logger, metrics });
    started.push(rateLimits);
    await rateLimits.application!.consume("app");
    await rateLimits.application!.consume("app");
    expect(await rejectionOf(rateLimits.application!.consume("app"))).toMatchObject({ code: "RATE_LIMITED" });
    expect(await rejections(metrics, "rate_limited_application")).toBe(1);
  });
});

describe("createRateLimits options", () => {
  it("restates the contract on a bad limit", () => {
    expect(() => createRateLimits({ config: { rateLimits: { applicationPerSecond: -1, callerPerSecond: 0, callerBurst: 0 } }, redisUrl: undefined, logger })).toThrow(
      "createRateLimits: config.rateLimits.applicationPerSecond must be an integer >= 0 (0 = off) (got -1)",
    );
  });
});
