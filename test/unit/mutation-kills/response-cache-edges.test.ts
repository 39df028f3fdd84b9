import { expect, it } from "vitest";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import { approximateBytes, createResponseCache, type ResponseCacheOptions } from "../../../src/tokens/response-cache.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { sharedRedisStores } from "./shared-redis.js";
import { recordingStoreLogger, storeFailing } from "./store-doubles.js";

/**
 * The response cache at its edges: the exact end of an answer's life on the shared level, a store
 * that fails (a warning, never the caller's failure), where a memory store keeps answers, and what an
 * entry costs the byte bound.
 */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 11) });
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const sharedRedis = await probeSharedRedis();
const redisStore = sharedRedisStores("response-cache-kills");

const answer = (issuedAt: number, extra: Partial<IssuedToken> = {}): IssuedToken => ({
  issuedAt, clientId: APP, accessToken: "at-cached", expiresIn: 3600, ...extra,
});
const cacheOn = (options: Partial<ResponseCacheOptions> & Pick<ResponseCacheOptions, "store">) =>
  createResponseCache({ keyspace, minTtlMs: 300_000, maxEntries: 10, maxBytes: 1_000_000, logger: recordingStoreLogger(), ...options });
// A rejected store call settles within a few microtasks; one macrotask later its catch has run.
const settled = () => new Promise((resolve) => setImmediate(resolve));

describeNeeding(sharedRedis, "response cache on a shared store", () => {
  it("serves another replica's answer up to one millisecond before its life less the margin ends, and reports it stale from then on", async () => {
    let now = 1_000_000;
    const store = redisStore();
    await cacheOn({ store, now: () => now }).save("fp-boundary", answer(now));
    const servableUntil = now + (3600 - 300) * 1000;
    now = servableUntil - 1;
    expect(await cacheOn({ store, now: () => now }).lookup("fp-boundary")).toEqual({ result: "hit", token: answer(1_000_000) });
    now = servableUntil;
    expect(await cacheOn({ store, now: () => now }).lookup("fp-boundary")).toEqual({ result: "stale" });
  });

  it("answers an unknown fingerprint with a quiet miss", async () => {
    const logger = recordingStoreLogger();
    expect(await cacheOn({ store: redisStore(), logger }).lookup("fp-never-saved")).toEqual({ result: "miss" });
    expect(logger.lines).toEqual([]);
  });

  it("shares an answer that holds no refresh token with the other replicas, quietly", async () => {
    const store = redisStore();
    const logger = recordingStoreLogger();
    const withoutRefreshToken = answer(Date.now());
    await cacheOn({ store, logger }).save("fp-no-refresh", withoutRefreshToken);
    expect(await cacheOn({ store }).lookup("fp-no-refresh")).toEqual({ result: "hit", token: withoutRefreshToken });
    expect(logger.lines).toEqual([]);
  });

  it("answers a miss when the shared store cannot be read, and warns with the first line of the cause", async () => {
    const logger = recordingStoreLogger();
    expect(await cacheOn({ store: storeFailing(redisStore(), ["get"]), logger }).lookup("fp-unreadable")).toEqual({ result: "miss" });
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "response cache: lookup failed; treating as a miss" }]);
  });

  it("still serves an answer from this process when the shared store refuses the write, and warns with the first line of the cause", async () => {
    const logger = recordingStoreLogger();
    const cache = cacheOn({ store: storeFailing(redisStore(), ["set"]), logger });
    const saved = answer(Date.now(), { refreshToken: "rt-held" });
    await cache.save("fp-unwritable", saved);
    expect(cache.peek("fp-unwritable")).toEqual(saved);
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "response cache: could not store a response" }]);
  });

  it("warns when a rotated refresh token's answer cannot be looked up for dropping, and does not fail the rotation", async () => {
    const logger = recordingStoreLogger();
    await cacheOn({ store: storeFailing(redisStore(), ["get"]), logger }).forgetAnswerHolding(APP, "rt-rotated");
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "response cache: could not drop the answer of a rotated refresh token" }]);
  });

  it("warns when it cannot subscribe to other replicas' evictions", async () => {
    const logger = recordingStoreLogger();
    cacheOn({ store: storeFailing(redisStore(), ["subscribe"]), logger });
    await settled();
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "response cache: could not subscribe to evictions" }]);
  });
});

it("with a memory store, keeps an answer and the link from its refresh token only in its own bounded LRU: the store holds nothing", async () => {
  const store = createMemoryStore();
  const cache = cacheOn({ store });
  const plain = answer(Date.now());
  await cache.save("fp-plain", plain);
  await cache.save("fp-with-refresh", answer(Date.now(), { refreshToken: "rt-linked" }));
  expect((await store.health()).detail).toBe("memory (process-local, 0 entries)");
  expect(cache.peek("fp-plain")).toEqual(plain);
  await cache.forgetAnswerHolding(APP, "rt-linked");
  expect(cache.peek("fp-with-refresh")).toBeUndefined();
});

it("forgets a refresh token it never linked quietly, in memory mode and on a shared store", async () => {
  for (const store of [createMemoryStore(), { ...createMemoryStore(), kind: "redis" as const }]) {
    const logger = recordingStoreLogger();
    await cacheOn({ store, logger }).forgetAnswerHolding(APP, "rt-never-cached");
    expect(logger.lines).toEqual([]);
  }
});

it("counts the fingerprint's length against maxBytes as well as the answer's", async () => {
  const entryBytes = approximateBytes(answer(Date.now()));
  const fingerprint = (n: number) => `${n}${"f".repeat(99)}`;
  const keyBytes = fingerprint(1).length;
  const cacheHolding = async (maxBytes: number) => {
    const cache = cacheOn({ store: createMemoryStore(), minTtlMs: 0, maxBytes });
    await cache.save(fingerprint(1), answer(Date.now()));
    await cache.save(fingerprint(2), answer(Date.now()));
    return [(await cache.lookup(fingerprint(1))).result, (await cache.lookup(fingerprint(2))).result];
  };
  expect(await cacheHolding(2 * (entryBytes + keyBytes))).toEqual(["hit", "hit"]);
  expect(await cacheHolding(2 * (entryBytes + keyBytes) - 1)).toEqual(["miss", "hit"]);
});

it("counts each scope item at its length plus 3 (quotes and comma), and nothing for an answer without scope", () => {
  const plain = answer(0);
  expect(approximateBytes({ ...plain, scope: ["ab", "cde"] }) - approximateBytes(plain)).toBe(2 + 3 + 3 + 3);
  expect(approximateBytes({ ...plain, scope: [] })).toBe(approximateBytes(plain));
});
