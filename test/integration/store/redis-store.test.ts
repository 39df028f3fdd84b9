import { afterAll, expect, it } from "vitest";
import { createRedisStore, StoreUnavailableError } from "../../../src/store/redis-store.js";
import {
  SHARED_REDIS_URL,
  deleteKeysWithPrefix,
  findFreePort,
  rawRedis,
  uniqueKeyPrefix,
} from "./redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;
const prefix = uniqueKeyPrefix("redis-store");
const raw = rawRedis();

afterAll(async () => {
  if (redisReachable) await deleteKeysWithPrefix(raw, prefix);
  raw.disconnect();
});

describeNeeding(sharedRedis, "createRedisStore", () => {
  it("writes every key under its keyPrefix, with the TTL in Redis", async () => {
    const store = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix });
    await store.set("k", Buffer.from("v"), 10_000);
    expect(await raw.getBuffer(`${prefix}k`)).toEqual(Buffer.from("v"));
    const ttl = await raw.pttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
    await store.close();
  });

  it("fails fast with StoreUnavailableError when nothing listens at the URL, instead of hanging", async () => {
    const port = await findFreePort();
    // Command and connect timeouts far beyond the test's own (30 s): getting any answer at all proves
    // the refused connection itself failed the calls, not a timeout.
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, commandTimeoutMs: 600_000, connectTimeoutMs: 600_000 });
    const error = await store.get("k").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe(`redis unreachable (connect ECONNREFUSED 127.0.0.1:${port})`);
    // Once the first connect has failed, later calls fail on that too, never waiting for a timeout.
    const again = await store.set("k", Buffer.from("v"), 1_000).catch((caught: unknown) => caught);
    expect(again).toBeInstanceOf(StoreUnavailableError);
    expect((again as Error).message).toMatch(new RegExp(`^redis unreachable \\(.*ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)$`));
    const health = await store.health();
    expect(health.ok).toBe(false);
    expect(health.status).toBe("down");
    expect(health.detail).toMatch(new RegExp(`^redis unreachable \\(.*ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)$`));
    await store.close();
  });

  it("rejects subscribe with StoreUnavailableError when nothing listens at the URL, every time (no half-registered channel)", async () => {
    const port = await findFreePort();
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, commandTimeoutMs: 300 });
    await expect(store.subscribe("channel", () => {})).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.subscribe("channel", () => {})).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it("never shows the URL's password in its health detail", async () => {
    const store = createRedisStore({ url: "redis://:not-the-password@127.0.0.1:6379", keyPrefix: prefix });
    const health = await store.health();
    expect(health.detail).not.toContain("not-the-password");
    await store.close();
  });

  it("refuses options that break its contract, restating it", () => {
    expect(() => createRedisStore({ url: "" })).toThrow("createRedisStore: url must be a redis:// URL string (got string)");
    expect(() => createRedisStore({ url: SHARED_REDIS_URL, commandTimeoutMs: 0 })).toThrow(
      "createRedisStore: commandTimeoutMs must be a positive integer (got 0)",
    );
  });
});
