import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import type { Store } from "../../../src/store/store.types.js";
import {
  SHARED_REDIS_URL,
  deleteKeysWithPrefix,
  isSharedRedisReachable,
  rawRedis,
  sleep,
  uniqueKeyPrefix,
  warnRedisMissing,
} from "./redis-test-support.js";

const redisReachable = await isSharedRedisReachable();
if (!redisReachable) warnRedisMissing("store-contract.test.ts (redis backend)");
const prefix = uniqueKeyPrefix("store-contract");

type Backend = { name: string; create: () => Store };
const backends: Backend[] = [
  { name: "memory", create: () => createMemoryStore() },
  ...(redisReachable ? [{ name: "redis", create: () => createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix }) }] : []),
];

afterAll(async () => {
  if (!redisReachable) return;
  const redis = rawRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe.each(backends)("the $name store", ({ name, create }) => {
  let store: Store;
  beforeAll(() => {
    store = create();
  });
  afterAll(async () => {
    await store.close();
  });

  it("names its kind", () => {
    expect(store.kind).toBe(name);
  });

  it("answers null for a key never set", async () => {
    expect(await store.get("absent")).toBeNull();
  });

  it("returns exactly the bytes it was given, zero bytes and all", async () => {
    const value = Buffer.from([0, 1, 2, 255, 0, 10, 13]);
    await store.set("binary", value, 5_000);
    expect(await store.get("binary")).toEqual(value);
  });

  it("forgets a value once its TTL has passed", async () => {
    await store.set("short-lived", Buffer.from("x"), 60);
    expect(await store.get("short-lived")).toEqual(Buffer.from("x"));
    await sleep(120);
    expect(await store.get("short-lived")).toBeNull();
  });

  it("replaces both the value and the TTL on set", async () => {
    await store.set("replaced", Buffer.from("one"), 60);
    await store.set("replaced", Buffer.from("two"), 5_000);
    await sleep(120);
    expect(await store.get("replaced")).toEqual(Buffer.from("two"));
  });

  it("deletes a key, and deleting an absent key is not an error", async () => {
    await store.set("deleted", Buffer.from("x"), 5_000);
    await store.delete("deleted");
    expect(await store.get("deleted")).toBeNull();
    await expect(store.delete("never-there")).resolves.toBeUndefined();
  });

  it("setIfAbsent stores only when the key is free, and again once it expired", async () => {
    expect(await store.setIfAbsent("lock", Buffer.from("owner-a"), 80)).toBe(true);
    expect(await store.setIfAbsent("lock", Buffer.from("owner-b"), 80)).toBe(false);
    expect(await store.get("lock")).toEqual(Buffer.from("owner-a"));
    await sleep(150);
    expect(await store.setIfAbsent("lock", Buffer.from("owner-b"), 5_000)).toBe(true);
    expect(await store.get("lock")).toEqual(Buffer.from("owner-b"));
  });

  it("lets exactly one of 20 concurrent setIfAbsent calls win", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => store.setIfAbsent("contested", Buffer.from(`owner-${index}`), 5_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("deleteIfEquals releases only for the owner", async () => {
    await store.set("owned", Buffer.from("owner-a"), 5_000);
    expect(await store.deleteIfEquals("owned", Buffer.from("owner-b"))).toBe(false);
    expect(await store.get("owned")).toEqual(Buffer.from("owner-a"));
    expect(await store.deleteIfEquals("owned", Buffer.from("owner-a"))).toBe(true);
    expect(await store.get("owned")).toBeNull();
    expect(await store.deleteIfEquals("owned", Buffer.from("owner-a"))).toBe(false);
  });

  it("counts 1, 2, 3 within a window and starts again at 1 after it", async () => {
    expect(await store.increment("counter", 150)).toBe(1);
    expect(await store.increment("counter", 150)).toBe(2);
    expect(await store.increment("counter", 150)).toBe(3);
    await sleep(220);
    expect(await store.increment("counter", 150)).toBe(1);
  });

  it("keeps the window's first expiry when later increments arrive", async () => {
    expect(await store.increment("fixed-window", 200)).toBe(1);
    await sleep(120);
    expect(await store.increment("fixed-window", 200)).toBe(2);
    await sleep(120); // 240 ms after the first increment: the window has closed
    expect(await store.increment("fixed-window", 200)).toBe(1);
  });

  it("counts 50 concurrent increments exactly", async () => {
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.increment("busy-counter", 5_000)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
  });

  it("delivers published bytes to every subscriber of the channel and none of another", async () => {
    const first: Buffer[] = [];
    const second: Buffer[] = [];
    const other: Buffer[] = [];
    const stopFirst = await store.subscribe("events", (message) => first.push(message));
    const stopSecond = await store.subscribe("events", (message) => second.push(message));
    const stopOther = await store.subscribe("other-events", (message) => other.push(message));
    await store.publish("events", Buffer.from([1, 2, 3]));
    await waitFor(() => first.length === 1 && second.length === 1);
    expect(first).toEqual([Buffer.from([1, 2, 3])]);
    expect(second).toEqual([Buffer.from([1, 2, 3])]);
    expect(other).toEqual([]);
    await Promise.all([stopFirst(), stopSecond(), stopOther()]);
  });

  it("stops delivering after unsubscribe, while other subscribers keep receiving", async () => {
    const stopped: Buffer[] = [];
    const kept: Buffer[] = [];
    const stop = await store.subscribe("partly", (message) => stopped.push(message));
    const stopKept = await store.subscribe("partly", (message) => kept.push(message));
    await stop();
    await store.publish("partly", Buffer.from("after"));
    await waitFor(() => kept.length === 1);
    await sleep(30);
    expect(stopped).toEqual([]);
    await stopKept();
  });

  it("reports itself up", async () => {
    const health = await store.health();
    expect(health).toMatchObject({ ok: true, status: "up" });
    expect(health.detail).toMatch(name === "memory" ? /^memory/ : /^redis standalone redis:\/\/127\.0\.0\.1:6379: ok$/);
  });

  it("rejects a TTL that is not a positive integer, restating the contract", async () => {
    await expect(store.set("bad-ttl", Buffer.from("x"), 0)).rejects.toThrow("ttlMs must be a positive integer (got 0)");
    await expect(store.setIfAbsent("bad-ttl", Buffer.from("x"), 1.5)).rejects.toThrow("ttlMs must be a positive integer (got 1.5)");
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}
