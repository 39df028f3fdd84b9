import { afterAll, beforeAll, expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { describeNeeding, probeSharedRedis, type TestDependency } from "../../support/test-dependencies.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, eventually, rawRedis, uniqueKeyPrefix } from "./redis-test-support.js";

const sharedRedis = await probeSharedRedis();
const prefix = uniqueKeyPrefix("store-contract");

/**
 * TTLs here are long enough (1 s) that no command latency on a loaded machine outlives them before
 * the next assertion; that a TTL has passed is observed (the key reads null), never slept for.
 */
const TTL_MS = 1_000;

type Backend = { name: string; needs: TestDependency[]; create: () => Store };
const backends: Backend[] = [
  { name: "memory", needs: [], create: () => createMemoryStore() },
  { name: "redis", needs: [sharedRedis], create: () => createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix }) },
];

afterAll(async () => {
  if (sharedRedis.missing !== undefined) return;
  const redis = rawRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

for (const { name, needs, create } of backends) describeNeeding(needs, `the ${name} store`, () => {
  let store: Store;
  beforeAll(() => {
    store = create();
  });
  afterAll(async () => {
    await store?.close();
  });

  /** Resolves once `key` reads null: its TTL has passed, as the store itself sees it. */
  const expired = (key: string) => eventually(`${key} expired`, async () => (await store.get(key)) === null);

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
    await store.set("short-lived", Buffer.from("x"), TTL_MS);
    expect(await store.get("short-lived")).toEqual(Buffer.from("x"));
    await expired("short-lived");
    expect(await store.get("short-lived")).toBeNull();
  });

  it("replaces both the value and the TTL on set", async () => {
    await store.set("replaced", Buffer.from("one"), TTL_MS);
    await store.set("replaced", Buffer.from("two"), 60_000);
    // Set after the first TTL started, with the same TTL: once it is gone, the first TTL has passed too.
    await store.set("replaced-witness", Buffer.from("w"), TTL_MS);
    await expired("replaced-witness");
    expect(await store.get("replaced")).toEqual(Buffer.from("two"));
  });

  it("deletes a key, and deleting an absent key is not an error", async () => {
    await store.set("deleted", Buffer.from("x"), 5_000);
    await store.delete("deleted");
    expect(await store.get("deleted")).toBeNull();
    await expect(store.delete("never-there")).resolves.toBeUndefined();
  });

  it("setIfAbsent stores only when the key is free, and again once it expired", async () => {
    expect(await store.setIfAbsent("lock", Buffer.from("owner-a"), TTL_MS)).toBe(true);
    expect(await store.setIfAbsent("lock", Buffer.from("owner-b"), TTL_MS)).toBe(false);
    expect(await store.get("lock")).toEqual(Buffer.from("owner-a"));
    await expired("lock");
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

  it("swap stores a value and answers the one it replaced (null when absent), each of concurrent swaps a different one", async () => {
    expect(await store.swap("swapped", Buffer.from([0, 0xff, 1]), 5_000)).toBeNull();
    expect(await store.swap("swapped", Buffer.from("second"), TTL_MS)).toEqual(Buffer.from([0, 0xff, 1]));
    expect(await store.get("swapped")).toEqual(Buffer.from("second"));
    const replaced = await Promise.all(Array.from({ length: 20 }, (_, index) => store.swap("swapped", Buffer.from(`swap-${index}`), 5_000)));
    // Every value stored was replaced once, by exactly one of the others, except the last one, still stored.
    const seen = replaced.map((value) => value!.toString());
    const last = (await store.get("swapped"))!.toString();
    expect(new Set([...seen, last])).toEqual(new Set(["second", ...Array.from({ length: 20 }, (_, index) => `swap-${index}`)]));
    await store.swap("swapped", Buffer.from("expiring"), TTL_MS);
    await expired("swapped");
  });

  it("counts 1, 2, 3 within a window and starts again at 1 after it", async () => {
    expect(await store.increment("counter", TTL_MS)).toBe(1);
    // Set after the window opened, with the same TTL: once it is gone, the window has closed.
    await store.set("counter-witness", Buffer.from("w"), TTL_MS);
    expect(await store.increment("counter", TTL_MS)).toBe(2);
    expect(await store.increment("counter", TTL_MS)).toBe(3);
    await expired("counter-witness");
    expect(await store.increment("counter", TTL_MS)).toBe(1);
  });

  it("keeps the window's first expiry when later increments arrive", async () => {
    expect(await store.increment("fixed-window", TTL_MS)).toBe(1);
    await store.set("half-window", Buffer.from("w"), TTL_MS / 2);
    await expired("half-window");
    // Half a window later: a key set now, with the window's TTL, outlives a window restarted by
    // the next increment by no more than a command's latency, and the first window by half a window.
    await store.set("second-increment-witness", Buffer.from("w"), TTL_MS);
    expect(await store.increment("fixed-window", TTL_MS)).toBe(2);
    await eventually("the fixed window restarted at 1", async () => (await store.increment("fixed-window", TTL_MS)) === 1);
    // Restarted while the witness lives: the window ran from the first increment, not from a later one.
    expect(await store.get("second-increment-witness")).toEqual(Buffer.from("w"));
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
    await eventually("both subscribers got the message", () => first.length === 1 && second.length === 1);
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
    await eventually("the kept subscriber got the message", () => kept.length === 1);
    // One message reaches every handler of its channel in one dispatch, so `stopped` would have it by now.
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
