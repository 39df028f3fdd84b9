import { afterAll, describe, expect, it } from "vitest";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import type { RateLimitConfig } from "../../../src/config/config.types.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayMetrics } from "../../../src/metrics/metrics.js";
import { createRateLimits, type RateLimits } from "../../../src/ratelimit/index.js";
import { callerKey } from "../../../src/server/caller-key.js";
import { callerNetworks } from "../../../src/server/caller-networks.js";

/**
 * IPV6_NETWORK_CALLERS: every per-caller limit also bounds all the IPv6 callers of one /48 together,
 * at that many callers' worth. Without it, one /48 (free from a tunnel broker) was 256 callers.
 */
const logger = createLogger({ level: "silent" });
const networks = callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 2 });
/** `count` different /56 callers of the /48 2001:db8:<site>::/48. */
const callersOf = (site: number, count: number) => Array.from({ length: count }, (_, n) => callerKey(`2001:db8:${site.toString(16)}:${(n * 256).toString(16)}::1`, 56));
const limits: RateLimitConfig = {
  applicationPerSecond: 0, callerPerSecond: 1, callerBurst: 0, callerUpstreamPerSecond: 1, callerUpstreamBurst: 0,
};
const opened: RateLimits[] = [];
const create = (extra: { redisUrl?: string; keyPrefix?: string; metrics?: ReturnType<typeof createGatewayMetrics>; withNetworks?: boolean } = {}) => {
  const rateLimits = createRateLimits({
    config: { rateLimits: limits, persistedQueries: { maxDocumentBytes: 1024, maxEntries: 100, ttlSeconds: 60, maxEntriesPerCaller: 1 } },
    redisUrl: extra.redisUrl, logger, callerNetworks: extra.withNetworks === false ? undefined : networks,
    ...(extra.metrics ? { metrics: extra.metrics } : {}), ...(extra.keyPrefix ? { keyPrefix: extra.keyPrefix } : {}),
  });
  opened.push(rateLimits);
  return rateLimits;
};
const outcome = (promise: Promise<void>) => promise.then(() => "ok", (error: { code?: string }) => error.code ?? "error");
/** Each key in turn (in order: which ones a limit lets through is then certain). */
async function consumeEach(limit: { consume(key: string): Promise<void> }, keys: string[]): Promise<string[]> {
  const outcomes = [];
  for (const key of keys) outcomes.push(await outcome(limit.consume(key)));
  return outcomes;
}

afterAll(async () => {
  await Promise.all(opened.map((rateLimits) => rateLimits.close()));
});

describe("createRateLimits: an IPv6 network's share of each per-caller limit", () => {
  it("lets 8 callers of one /48 through IPV6_NETWORK_CALLERS=2 times once, and the next /48 and an IPv4 caller on their own", async () => {
    const { callerUpstream } = create();
    expect(await consumeEach(callerUpstream!, callersOf(1, 8))).toEqual(["ok", "ok", ...Array(6).fill("RATE_LIMITED")]);
    expect(await consumeEach(callerUpstream!, [...callersOf(2, 1), "203.0.113.7"])).toEqual(["ok", "ok"]);
  });

  it("bounds the request limit, the upstream budget and the persisted-query registrations alike, each naming the network and the settings", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const { caller, callerUpstream, persistedQueryCaller } = create({ metrics });
    const three = callersOf(3, 3);
    for (const limit of [caller, callerUpstream, persistedQueryCaller]) await consumeEach(limit!, three.slice(0, 2));
    const refusals = await Promise.all([caller, callerUpstream, persistedQueryCaller].map((limit) => limit!.consume(three[2]!).catch((error: Error) => error.message)));
    expect(refusals).toEqual([
      "Too many requests from this caller's IPv6 network (over IPV6_NETWORK_CALLERS=2 × RATE_LIMIT_CALLER_PER_SECOND=1); retry after 1 s.",
      "Too many token exchanges sent to AWS from this caller's IPv6 network (over IPV6_NETWORK_CALLERS=2 × RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND=1); retry after 1 s.",
      "This caller's IPv6 network (IPV6_NETWORK_CALLERS=2 callers' worth) added APQ_MAX_ENTRIES_PER_CALLER=1 persisted queries in APQ_TTL_SECONDS; more in 60 s.",
    ]);
    const reasons = (await metrics.rejections.get()).values.map((value) => [value.labels.reason, value.value]);
    expect(reasons.sort()).toEqual([["rate_limited_caller_network", 1], ["rate_limited_caller_upstream_network", 1]]);
  });

  it("gives IPv4 callers no network: five addresses of one /24 each have their own limit", async () => {
    const { callerUpstream } = create();
    expect(await consumeEach(callerUpstream!, ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"])).toEqual(Array(5).fill("ok"));
  });

  it("scales the network's points by IPV6_NETWORK_CALLERS: at 2 a second a caller, three callers' worth is 6 of 8 callers", async () => {
    const wider = createRateLimits({
      config: { rateLimits: { applicationPerSecond: 0, callerPerSecond: 2, callerBurst: 0, callerUpstreamPerSecond: 2, callerUpstreamBurst: 0 }, persistedQueries: { maxDocumentBytes: 1024, maxEntries: 100, ttlSeconds: 60, maxEntriesPerCaller: 2 } },
      redisUrl: undefined, logger, callerNetworks: callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 3 }),
    });
    opened.push(wider);
    const callers = callersOf(9, 4);
    for (const limit of [wider.caller, wider.callerUpstream, wider.persistedQueryCaller]) {
      expect(await consumeEach(limit!, [...callers, ...callers])).toEqual([...Array(6).fill("ok"), "RATE_LIMITED", "RATE_LIMITED"]);
    }
  });

  it("names the caller, under the caller's reason, when a caller is past its own limit in a network with room", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const { caller, callerUpstream } = create({ metrics });
    const [own] = callersOf(10, 1) as [string];
    await consumeEach(caller!, [own]);
    await consumeEach(callerUpstream!, [own]);
    expect(await caller!.consume(own).catch((error: Error) => error.message)).toBe("Too many requests from this caller (over RATE_LIMIT_CALLER_PER_SECOND=1); retry after 1 s.");
    expect(await callerUpstream!.consume(own).catch((error: Error) => error.message)).toBe(
      "Too many token exchanges sent to AWS from this caller (over RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND=1); retry after 1 s.",
    );
    expect(callerUpstream!.refusedNow?.(own)).toMatchObject({ message: expect.stringContaining("from this caller (over") });
    const { persistedQueryCaller } = create();
    await consumeEach(persistedQueryCaller!, [own]);
    expect(await persistedQueryCaller!.consume(own).catch((error: Error) => error.message)).toBe(
      "This caller added APQ_MAX_ENTRIES_PER_CALLER=1 persisted queries in APQ_TTL_SECONDS; more in 60 s.",
    );
    const reasons = (await metrics.rejections.get()).values.map((value) => [value.labels.reason, value.value]);
    expect(reasons.sort()).toEqual([["rate_limited_caller", 1], ["rate_limited_caller_upstream", 2]]);
  });

  it("keeps a caller's own limit: one caller past its own spends none of its neighbours' share", async () => {
    const { callerUpstream } = create();
    const [noisy, neighbour] = callersOf(4, 2) as [string, string];
    expect(await consumeEach(callerUpstream!, [noisy, noisy, noisy, noisy])).toEqual(["ok", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
    expect(await consumeEach(callerUpstream!, [neighbour])).toEqual(["ok"]);
  });

  it("answers refusedNow for a caller whose network was refused moments ago, without I/O, and not for the next network", async () => {
    const { callerUpstream } = create();
    const site = callersOf(5, 4);
    await consumeEach(callerUpstream!, site.slice(0, 3));
    expect(callerUpstream!.refusedNow?.(site[3]!)).toMatchObject({ code: "RATE_LIMITED", message: expect.stringContaining("IPv6 network") });
    expect(callerUpstream!.refusedNow?.(callersOf(6, 1)[0]!)).toBeUndefined();
  });

  it("counts each /56 on its own without the network tier (IPV6_NETWORK_CALLERS=0)", async () => {
    const { callerUpstream } = create({ withNetworks: false });
    expect(await consumeEach(callerUpstream!, callersOf(7, 8))).toEqual(Array(8).fill("ok"));
  });
});

const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("ipv6-network-limits");
const redis = rawRedis();
afterAll(async () => {
  if (sharedRedis.missing === undefined) await deleteKeysWithPrefix(redis, keyPrefix);
  redis.disconnect();
});

describeNeeding(sharedRedis, "an IPv6 network's share on Redis", () => {
  it("is one share for every replica: callers of one /48 through two processes get IPV6_NETWORK_CALLERS=2 upstream calls in all", async () => {
    const one = create({ redisUrl: SHARED_REDIS_URL, keyPrefix });
    const two = create({ redisUrl: SHARED_REDIS_URL, keyPrefix });
    const callers = callersOf(8, 4);
    const outcomes = [];
    for (const [index, key] of callers.entries()) outcomes.push(await outcome((index % 2 === 0 ? one : two).callerUpstream!.consume(key)));
    expect(outcomes).toEqual(["ok", "ok", "RATE_LIMITED", "RATE_LIMITED"]);
    // The network's count under a key of its own; each caller's under the caller's (a process that has not
    // yet seen its network refused spends the caller's own point first).
    const keys = await redis.keys(`${keyPrefix}*`);
    expect(keys.filter((key) => key.includes(":upstream-net:"))).toEqual([expect.stringContaining("2001:db8:8::/48")]);
    expect(keys.filter((key) => key.includes(":upstream:")).sort()).toEqual(callers.map((caller) => expect.stringContaining(`:upstream:${caller}`)));
  });
});
