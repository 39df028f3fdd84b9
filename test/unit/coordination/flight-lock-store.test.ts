import { afterAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { closeAndForget } from "../tokens/races/race-support.js";
import { SHARED_REDIS_URL, rawRedis, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { probeSharedRedis, titleNeeding } from "../../support/test-dependencies.js";

/** The store operation a flight's heartbeat relies on: only the lock's owner extends it, to exactly the TTL asked. */
const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;
const keyPrefix = uniqueKeyPrefix("flight-lock-store");
const redis = rawRedis();
const stores: Store[] = [];
const kept = <T extends Store>(store: T): T => (stores.push(store), store);

/** The lock's remaining life as the backend itself reports it (Redis PTTL), where it can be read. */
const backends: Array<{ name: string; available: boolean; store: () => Store; remainingMs?: (key: string) => Promise<number> }> = [
  { name: "memory", available: true, store: () => kept(createMemoryStore()) },
  { name: titleNeeding([sharedRedis], "Redis"), available: redisReachable, store: () => kept(createRedisStore({ url: SHARED_REDIS_URL, keyPrefix })), remainingMs: (key) => redis.pttl(keyPrefix + key) },
  {
    name: titleNeeding([sharedRedis], "resilient over Redis"),
    available: redisReachable,
    store: () => kept(createResilientStore({ primary: createRedisStore({ url: SHARED_REDIS_URL, keyPrefix }) })),
    remainingMs: (key) => redis.pttl(keyPrefix + key),
  },
];

afterAll(async () => {
  redis.disconnect();
  await closeAndForget(stores, redisReachable ? keyPrefix : undefined);
});

describe.each(backends)("extendIfEquals ($name)", ({ available, store: open, remainingMs, name }) => {
  it.skipIf(!available)("extends the lock for its owner only, and leaves its value alone", async () => {
    const store = open();
    const lock = `lock-${name.replace(/\W/g, "-")}`;
    expect(await store.extendIfEquals(lock, Buffer.from("owner"), 60_000)).toBe(false);
    expect(await store.setIfAbsent(lock, Buffer.from("owner"), 1_000)).toBe(true);

    expect(await store.extendIfEquals(lock, Buffer.from("intruder"), 60_000)).toBe(false);
    if (remainingMs) expect(await remainingMs(lock)).toBeLessThanOrEqual(1_000);
    expect(await store.extendIfEquals(lock, Buffer.from("owner"), 60_000)).toBe(true);
    if (remainingMs) expect(await remainingMs(lock)).toBeGreaterThan(1_000);
    expect((await store.get(lock))?.toString()).toBe("owner");

    expect(await store.deleteIfEquals(lock, Buffer.from("owner"))).toBe(true);
    expect(await store.extendIfEquals(lock, Buffer.from("owner"), 60_000)).toBe(false);
    expect(await store.get(lock)).toBeNull();
  });
});
