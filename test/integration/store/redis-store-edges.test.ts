import { afterAll, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createGatewayStore, createMemoryStore, createRedisStore, createResilientStore, StoreUnavailableError } from "../../../src/store/index.js";
import type { Store, StoreFailureCause } from "../../../src/store/index.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, eventually, findFreePort, rawRedis, recordingLogger, uniqueKeyPrefix } from "./redis-test-support.js";

/**
 * The Redis store's edges on the shared Redis (one key prefix for the file), each store made inside
 * its test: what an unprefixed store writes, the scripts behind the conditional writes, a reply error
 * that is not an outage, subscribe/unsubscribe bookkeeping as Redis itself counts it (PUBSUB NUMSUB),
 * and what is logged about connections that fail.
 */
const sharedRedis = await probeSharedRedis();
const prefix = uniqueKeyPrefix("redis-store-edges");
let raw: Redis | undefined;
const opened: Store[] = [];

afterAll(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  if (raw) {
    await deleteKeysWithPrefix(raw, prefix);
    raw.disconnect();
  }
});

function admin(): Redis {
  raw ??= rawRedis();
  return raw;
}

function redisStore(options: { keyPrefix?: string } = { keyPrefix: prefix }): Store {
  const store = createRedisStore({ url: SHARED_REDIS_URL, ...options });
  opened.push(store);
  return store;
}

/** How many connections Redis has subscribed to `channel`. */
async function subscribers(channel: string): Promise<number> {
  const [, count] = (await admin().pubsub("NUMSUB", channel)) as [string, number];
  return Number(count);
}

/** Resolves with the next message `store` delivers on `channel` (a barrier for messages published before it). */
async function nextMessage(store: Store, channel: string): Promise<{ received: Promise<Buffer>; stop: () => Promise<void> }> {
  let deliver!: (message: Buffer) => void;
  const received = new Promise<Buffer>((resolve) => (deliver = resolve));
  const stop = await store.subscribe(channel, (message) => deliver(message));
  return { received, stop };
}

describeNeeding(sharedRedis, "the Redis store's edges", () => {
  it("writes keys as given when no keyPrefix is set", async () => {
    const store = redisStore({});
    await store.set(`${prefix}unprefixed`, Buffer.from("v"), 10_000);
    expect(await admin().getBuffer(`${prefix}unprefixed`)).toEqual(Buffer.from("v"));
  });

  it("describes itself by topology and password-free URL in its health", async () => {
    expect(await redisStore().health()).toEqual({ ok: true, status: "up", detail: "redis standalone redis://127.0.0.1:6379: ok" });
  });

  it("runs its conditional writes and counters as scripts on Redis", async () => {
    const store = redisStore();
    expect(await store.increment("counter", 10_000)).toBe(1);
    expect(await store.increment("counter", 10_000)).toBe(2);
    await store.set("lock", Buffer.from("owner"), 1_000);
    expect(await store.extendIfEquals("lock", Buffer.from("other"), 60_000)).toBe(false);
    expect(await store.extendIfEquals("lock", Buffer.from("owner"), 60_000)).toBe(true);
    expect(await admin().pttl(`${prefix}lock`)).toBeGreaterThan(1_000);
    expect(await store.deleteIfEquals("lock", Buffer.from("other"))).toBe(false);
    expect(await store.deleteIfEquals("lock", Buffer.from("owner"))).toBe(true);
    expect(await admin().exists(`${prefix}lock`)).toBe(0);
  });

  it("passes on a reply error that is not a refusal to write, and the resilient store does not fall back on it", async () => {
    const primary = redisStore();
    await primary.set("text", Buffer.from("abc"), 10_000);
    const error = await primary.increment("text", 10_000).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).name).toBe("ReplyError");
    expect((error as Error).message).toMatch(/^ERR value is not an integer/);

    const failures: StoreFailureCause[] = [];
    const resilient = createResilientStore({ primary, onFailure: (cause) => failures.push(cause) });
    await expect(resilient.increment("text", 10_000)).rejects.toThrow(/^ERR value is not an integer/);
    expect(failures).toEqual([]);
    expect((await resilient.health()).status).toBe("up");
  });

  it("keeps a channel subscribed while another handler listens, and unsubscribes it from Redis with the last one", async () => {
    const store = redisStore();
    const channel = `${prefix}shared-channel`;
    const first: Buffer[] = [];
    const stopFirst = await store.subscribe("shared-channel", (message) => first.push(message));
    const second = await nextMessage(store, "shared-channel");
    expect(await subscribers(channel)).toBe(1);

    await stopFirst();
    await stopFirst(); // twice is harmless: the other handler keeps its subscription
    expect(await subscribers(channel)).toBe(1);
    await admin().publish(channel, "still here");
    expect(await second.received).toEqual(Buffer.from("still here"));
    expect(first).toEqual([]);

    await second.stop();
    expect(await subscribers(channel)).toBe(0);
  });

  it("does not let an old unsubscribe end a later subscription of the same handler", async () => {
    const store = redisStore();
    const received: string[] = [];
    const handler = (message: Buffer) => void received.push(message.toString());
    const stale = await store.subscribe("resubscribed", handler);
    await stale();
    await store.subscribe("resubscribed", handler);
    await stale();
    expect(await subscribers(`${prefix}resubscribed`)).toBe(1);
    await admin().publish(`${prefix}resubscribed`, "after");
    await eventually("the message after the stale unsubscribe", () => received.length === 1);
    expect(received).toEqual(["after"]);
  });

  it("listens on one connection for every channel, and close() ends it (an unsubscribe after close is harmless)", async () => {
    const store = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix });
    const stopA = await store.subscribe("one-connection-a", () => {});
    await store.subscribe("one-connection-b", () => {});
    expect(await subscribers(`${prefix}one-connection-a`)).toBe(1);
    expect(await subscribers(`${prefix}one-connection-b`)).toBe(1);
    await store.close();
    await eventually("both channels unsubscribed by the close", async () => (await subscribers(`${prefix}one-connection-a`)) + (await subscribers(`${prefix}one-connection-b`)) === 0);
    await expect(stopA()).resolves.toBeUndefined();
  });

  it("logs each failed connection attempt, of the command and of the subscriber connection, at debug without the password", async () => {
    const port = await findFreePort();
    const { lines, logger } = recordingLogger();
    const store = createRedisStore({ url: `redis://:hunter2@127.0.0.1:${port}`, logger, commandTimeoutMs: 300 });
    try {
      await expect(store.subscribe("c", () => {})).rejects.toBeInstanceOf(StoreUnavailableError);
      const expected = (message: string) => ({
        level: "debug",
        fields: { store: `redis standalone redis://***@127.0.0.1:${port}`, reason: `connect ECONNREFUSED 127.0.0.1:${port}` },
        message,
      });
      await eventually("both connections' errors logged", () => lines.some((line) => line.message === "redis subscriber connection error"));
      expect(lines).toContainEqual(expected("redis connection error"));
      expect(lines).toContainEqual(expected("redis subscriber connection error"));
      expect(JSON.stringify(lines)).not.toContain("hunter2");
    } finally {
      await store.close();
    }
  });
});

describeNeeding(sharedRedis, "the resilient store over a Redis that answers", () => {
  it("listens on Redis too: a message published there arrives, and none after the unsubscribe", async () => {
    const store = createResilientStore({ primary: redisStore(), fallback: createMemoryStore() });
    const received: string[] = [];
    const stop = await store.subscribe("both", (message) => void received.push(message.toString()));
    await admin().publish(`${prefix}both`, "from redis");
    await eventually("the message published on Redis", () => received.length === 1);

    await stop();
    // Published on one connection, delivered on one: the barrier's message comes after the other one would have.
    const barrier = await nextMessage(store, "barrier");
    await admin().publish(`${prefix}both`, "after the unsubscribe");
    await admin().publish(`${prefix}barrier`, "barrier");
    await barrier.received;
    expect(received).toEqual(["from redis"]);
    expect(await subscribers(`${prefix}both`)).toBe(0);
    await barrier.stop();
  });

  it("closes both stores on close(), and after it says closed rather than a stale reason", async () => {
    const fallback = createMemoryStore();
    const { lines, logger } = recordingLogger();
    const store = createResilientStore({ primary: createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix }), fallback, logger });
    expect((await store.health()).status).toBe("up");
    await store.close();
    expect(await fallback.health()).toEqual({ ok: false, status: "down", detail: "memory store closed" });
    expect(await store.health()).toEqual({
      ok: true,
      status: "degraded",
      detail: "degraded: redis unreachable (closed); serving from process memory, not shared with other replicas",
    });
    // The primary is closed too (it fails at once), and a closed store starts no outage: nothing logged.
    await expect(store.get("k")).rejects.toThrow("memory store is closed");
    expect(lines.filter((line) => line.level !== "debug")).toEqual([]);
  });
});

describeNeeding(sharedRedis, "createGatewayStore with REDIS_URL", () => {
  it("writes keys as given when no keyPrefix is set", async () => {
    const store = createGatewayStore({ redisUrl: SHARED_REDIS_URL, logger: recordingLogger().logger });
    try {
      await store.set(`${prefix}gateway-unprefixed`, Buffer.from("v"), 10_000);
      expect(await admin().getBuffer(`${prefix}gateway-unprefixed`)).toEqual(Buffer.from("v"));
    } finally {
      await store.close();
    }
  });

  it("counts each operation served from memory while Redis is unreachable, by cause", async () => {
    const failures: StoreFailureCause[] = [];
    const store = createGatewayStore({ redisUrl: `redis://127.0.0.1:${await findFreePort()}`, logger: recordingLogger().logger, onFailure: (cause) => failures.push(cause) });
    try {
      await store.set("k", Buffer.from("v"), 10_000);
      expect(failures).toEqual(["unreachable"]);
    } finally {
      await store.close();
    }
  });
});
