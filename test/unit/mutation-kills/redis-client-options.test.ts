import { Cluster, Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisClient, createRedisStore, type RedisClient } from "../../../src/store/index.js";
import { findFreePort } from "../../integration/store/redis-test-support.js";

/**
 * How each REDIS_URL form becomes an ioredis client: the options handed to ioredis are what decide
 * which servers it asks, with which credentials, and how it backs off. Every client here points at
 * ports nothing listens on and is disconnected in the same tick it was made, so nothing is reached.
 */
const OPTIONS = { commandTimeoutMs: 700, connectTimeoutMs: 900, reconnectMaxDelayMs: 1_500 };

const made: RedisClient[] = [];
afterEach(() => {
  for (const client of made.splice(0)) client.disconnect();
});

/** A client for `url`, stopped at once (its connect attempt never gets to report an error). */
function clientFor(url: string): RedisClient {
  const client = createRedisClient(url, OPTIONS);
  client.on("error", () => {});
  made.push(client);
  client.disconnect();
  return client;
}

describe("createRedisClient", () => {
  it("parses a REDIS_URL string itself and connects one standalone client to its host and port", async () => {
    const port = await findFreePort();
    const client = clientFor(`redis://127.0.0.1:${port}/2`);
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({
      host: "127.0.0.1",
      port,
      db: 2,
      enableOfflineQueue: true,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      commandTimeout: 700,
      connectTimeout: 900,
    });
  });

  it("backs off 100 ms, 200 ms, 400 ms … up to the configured cap, plus under 50 ms of jitter", () => {
    const retry = (clientFor("redis://127.0.0.1:1") as Redis).options.retryStrategy!;
    const delays = (times: number) => Array.from({ length: 20 }, () => retry(times) as number);
    for (const [times, base] of [[1, 100], [2, 200], [3, 400], [4, 800], [5, 1_500], [40, 1_500]] as const) {
      for (const delay of delays(times)) {
        expect(delay).toBeGreaterThanOrEqual(base);
        expect(delay).toBeLessThan(base + 50);
      }
    }
  });

  it("asks the sentinels for the named master, with the URL's user, password, db and TLS for both", async () => {
    const [first, second] = [await findFreePort(), await findFreePort()];
    const client = clientFor(`rediss+sentinel://app:s3cret@127.0.0.1:${first},127.0.0.1:${second}/primary/3`) as Redis;
    expect(client).toBeInstanceOf(Redis);
    const { options } = client;
    expect(options).toMatchObject({
      sentinels: [{ host: "127.0.0.1", port: first }, { host: "127.0.0.1", port: second }],
      name: "primary",
      db: 3,
      username: "app",
      sentinelUsername: "app",
      password: "s3cret",
      sentinelPassword: "s3cret",
      tls: {},
      enableTLSForSentinelMode: true,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      commandTimeout: 700,
    });
    expect(options.sentinelRetryStrategy!(2)).toBeGreaterThanOrEqual(200);
    expect(options.sentinelRetryStrategy!(2)).toBeLessThan(250);
  });

  it("gives a sentinel URL without credentials, db or TLS none of those options", () => {
    const { options } = clientFor("redis+sentinel://127.0.0.1:1/primary") as Redis;
    expect(options.sentinels).toEqual([{ host: "127.0.0.1", port: 1 }]);
    expect(options.sentinelPassword ?? null).toBeNull();
    expect(options.sentinelUsername ?? null).toBeNull();
    expect(options.tls).toBeUndefined();
    expect(options.enableTLSForSentinelMode).toBe(false);
    expect(options.db).toBe(0);
  });

  it("starts a Cluster from every listed node, with the URL's user, password and TLS on each node connection", async () => {
    const [first, second] = [await findFreePort(), await findFreePort()];
    const cluster = clientFor(`rediss+cluster://app:s3cret@127.0.0.1:${first},127.0.0.1:${second}`) as Cluster;
    expect(cluster).toBeInstanceOf(Cluster);
    // Private in ioredis' types, but it is the list Cluster starts from (what the URL decides).
    expect((cluster as unknown as { startupNodes: unknown }).startupNodes).toEqual([{ host: "127.0.0.1", port: first }, { host: "127.0.0.1", port: second }]);
    expect(cluster.options.enableOfflineQueue).toBe(true);
    expect(cluster.options.redisOptions).toMatchObject({
      username: "app",
      password: "s3cret",
      tls: {},
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      commandTimeout: 700,
      connectTimeout: 900,
    });
    const delay = (cluster.options.clusterRetryStrategy as (times: number) => number)(1);
    expect(delay).toBeGreaterThanOrEqual(100);
    expect(delay).toBeLessThan(150);
  });

  it("gives a Cluster URL without credentials or TLS none of those node options", () => {
    const cluster = clientFor("redis+cluster://127.0.0.1:1") as Cluster;
    expect(cluster.options.redisOptions).not.toHaveProperty("username");
    expect(cluster.options.redisOptions).not.toHaveProperty("password");
    expect(cluster.options.redisOptions).not.toHaveProperty("tls");
  });
});

describe("the Redis store's ordering", () => {
  it("is ordered on one server (one connection) and not on a Cluster (a connection per node)", async () => {
    const standalone = createRedisStore({ url: `redis://127.0.0.1:${await findFreePort()}` });
    const cluster = createRedisStore({ url: `redis+cluster://127.0.0.1:${await findFreePort()}` });
    try {
      expect(standalone.ordered).toBe(true);
      expect(cluster.ordered).toBe(false);
    } finally {
      await Promise.all([standalone.close(), cluster.close()]);
    }
  });
});
