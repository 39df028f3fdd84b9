import { randomBytes } from "node:crypto";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { createSingleFlight, type SingleFlightCodec } from "../../../src/coordination/single-flight.js";
import { SHARED_REDIS_URL, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { probeSharedRedis, titleNeeding } from "../../support/test-dependencies.js";
import { closeAndForget, createGatedStore, deferred } from "../tokens/races/race-support.js";

/**
 * A flight's leader keeps its lock while it works (single-flight.ts, keepLockAlive): its store
 * writes may each take up to the command timeout, and a lock that expired under a live leader
 * would let a second leader call AWS with the same grant. The heartbeat is bounded (never past
 * maxLockHoldMs) and stops when the flight settles.
 */
const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;

const keyspace = createKeyspace({ secret: randomBytes(32) });
const keyPrefix = uniqueKeyPrefix("lock-heartbeat");
const stores: Store[] = [];
const text: SingleFlightCodec<string> = { encode: (value) => Buffer.from(value), decode: (bytes) => bytes.toString() };

/** Two handles on one shared state, as two replicas have: two Redis connections, or one memory store. */
const backends: Array<{ name: string; available: boolean; pair: () => [Store, Store] }> = [
  { name: "memory", available: true, pair: () => { const store = createMemoryStore(); stores.push(store); return [store, store]; } },
  {
    name: titleNeeding([sharedRedis], "Redis"),
    available: redisReachable,
    pair: () => {
      const pair: [Store, Store] = [createRedisStore({ url: SHARED_REDIS_URL, keyPrefix }), createRedisStore({ url: SHARED_REDIS_URL, keyPrefix })];
      stores.push(...pair);
      return pair;
    },
  },
];

afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => closeAndForget(stores, redisReachable ? keyPrefix : undefined));

describe.each(backends)("the flight lock's heartbeat ($name)", ({ available, pair }) => {
  it.skipIf(!available)("starts no second leader while the leader's store write outlasts the lock's TTL; the follower gets the leader's answer", async () => {
    const lockTtlMs = 900;
    const [leaderInner, followerStore] = pair();
    const leaderStore = createGatedStore(leaderInner);
    const leader = createSingleFlight({ store: leaderStore, keyspace, lockTtlMs, maxLockHoldMs: 20 * lockTtlMs, waitTimeoutMs: 30_000 });
    const follower = createSingleFlight({ store: followerStore, keyspace, lockTtlMs, waitTimeoutMs: 30_000 });
    const key = `slow-writer-${randomBytes(4).toString("hex")}`;
    const slowWrite = leaderStore.hold("set", "slow-write");
    const secondLeader = deferred<never>();

    const led = leader.run(key, async () => {
      await leaderStore.set(keyspace.key("slow-write", key), Buffer.from("kept"), 60_000);
      return "the leader's answer";
    }, text);
    await slowWrite.reached;
    const followed = follower.run(key, async () => {
      secondLeader.resolve(undefined as never);
      return "a second leader's answer";
    }, text);
    // Four extensions, each a third of the TTL after the last: the lock has outlived its first TTL.
    const extendedPastTtl = (async () => {
      for (let beat = 0; beat < 4; beat += 1) expect((await leaderStore.next<boolean>("extendIfEquals", "sf-lock")).result).toBe(true);
    })();
    await Promise.race([extendedPastTtl, secondLeader.promise.then(() => Promise.reject(new Error("a second leader started while the first still worked")))]);
    slowWrite.release();

    expect(await led).toEqual({ value: "the leader's answer", role: "leader" });
    expect(await followed).toEqual({ value: "the leader's answer", role: "follower" });
  });
});

describe("the heartbeat's bounds (memory store, fake clock)", () => {
  it("stops extending the lock once the flight settled", async () => {
    vi.useFakeTimers();
    const store = createGatedStore(createMemoryStore());
    const extensions: number[] = [];
    const counted: Store = { ...store, extendIfEquals: (lock, owner, ttlMs) => (extensions.push(ttlMs), store.extendIfEquals(lock, owner, ttlMs)) };
    const flight = createSingleFlight({ store: counted, keyspace, lockTtlMs: 300, waitTimeoutMs: 1_000 });
    const work = deferred<string>();

    const led = flight.run("settles", () => work.promise, text);
    await vi.advanceTimersByTimeAsync(250);
    expect(extensions).toEqual([300, 300]);
    work.resolve("done");
    expect(await led).toEqual({ value: "done", role: "leader" });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(extensions).toEqual([300, 300]);
  });

  it("never extends the lock past maxLockHoldMs after it was taken, however long the leader works", async () => {
    vi.useFakeTimers();
    const store = createMemoryStore();
    const expiries: number[] = [];
    const counted: Store = { ...store, extendIfEquals: (lock, owner, ttlMs) => (expiries.push(Date.now() + ttlMs), store.extendIfEquals(lock, owner, ttlMs)) };
    const flight = createSingleFlight({ store: counted, keyspace, lockTtlMs: 300, maxLockHoldMs: 650, waitTimeoutMs: 1_000 });
    const takenAt = Date.now();

    void flight.run("stuck", () => new Promise<string>(() => {}), text);
    await vi.advanceTimersByTimeAsync(5_000);
    // Beats every 100 ms; the sixth would end after 650 ms, so it is cut to end exactly there, and none follows.
    expect(expiries.map((expiry) => expiry - takenAt)).toEqual([400, 500, 600, 650]);
  });
});
