import { afterAll, describe, expect, it } from "vitest";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import type { RateLimitConfig } from "../../../src/config/config.types.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayMetrics } from "../../../src/metrics/metrics.js";
import { createRateLimits, type RateLimits } from "../../../src/ratelimit/index.js";

/** RATE_LIMIT_STS_PER_SECOND: one budget of STS AssumeRole calls for the whole gateway, every replica included. */
const logger = createLogger({ level: "silent" });
const limits = (stsPerSecond: number | undefined): RateLimitConfig => ({ applicationPerSecond: 0, callerPerSecond: 0, callerBurst: 0, ...(stsPerSecond === undefined ? {} : { stsPerSecond }) });
const opened: RateLimits[] = [];
const create = (stsPerSecond: number | undefined, extra: { redisUrl?: string; keyPrefix?: string; metrics?: ReturnType<typeof createGatewayMetrics> } = {}) => {
  const rateLimits = createRateLimits({ config: { rateLimits: limits(stsPerSecond) }, redisUrl: extra.redisUrl, logger, ...(extra.metrics ? { metrics: extra.metrics } : {}), ...(extra.keyPrefix ? { keyPrefix: extra.keyPrefix } : {}) });
  opened.push(rateLimits);
  return rateLimits;
};
const outcome = (promise: Promise<void>) => promise.then(() => "ok", (error: { code?: string }) => error.code ?? "error");

afterAll(async () => {
  await Promise.all(opened.map((rateLimits) => rateLimits.close()));
});

describe("createRateLimits: the STS limit", () => {
  it("refuses the call over RATE_LIMIT_STS_PER_SECOND with RATE_LIMITED, retryAfterSeconds and a message naming the variable, counted by reason", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const { sts } = create(2, { metrics });
    expect(await Promise.all([0, 1, 2].map(() => outcome(sts!.consume("assume-role"))))).toEqual(["ok", "ok", "RATE_LIMITED"]);
    const refusal = await sts!.consume("assume-role").catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 1 } });
    expect((refusal as Error).message).toBe("Too many AWS credentials requests sent to STS by this gateway (over RATE_LIMIT_STS_PER_SECOND=2); retry after 1 s.");
    expect((await metrics.rejections.get()).values).toEqual([expect.objectContaining({ labels: { reason: "rate_limited_sts" }, value: 2 })]);
  });

  it("is off at 0, and when a hand-built config leaves it out", () => {
    expect(create(0).sts).toBeUndefined();
    expect(create(undefined).sts).toBeUndefined();
  });

  it.each([-1, 1.5])("refuses stsPerSecond %s with a message restating the contract", (value) => {
    expect(() => create(value)).toThrow(new TypeError(`createRateLimits: config.rateLimits.stsPerSecond must be an integer >= 0 (0 = off) or undefined (off) (got ${value})`));
  });
});

const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("sts-rate-limit");
const redis = rawRedis();
afterAll(async () => {
  if (sharedRedis.missing === undefined) await deleteKeysWithPrefix(redis, keyPrefix);
  redis.disconnect();
});

describeNeeding(sharedRedis, "the STS limit on Redis", () => {
  it("is one budget for every replica: two processes' limiters share RATE_LIMIT_STS_PER_SECOND", async () => {
    const one = create(3, { redisUrl: SHARED_REDIS_URL, keyPrefix });
    const two = create(3, { redisUrl: SHARED_REDIS_URL, keyPrefix });
    const outcomes = [];
    for (const replica of [one, two, one, two]) outcomes.push(await outcome(replica.sts!.consume("assume-role")));
    expect(outcomes).toEqual(["ok", "ok", "ok", "RATE_LIMITED"]);
  });
});
