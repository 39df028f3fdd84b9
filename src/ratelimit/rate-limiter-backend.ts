import { RateLimiterMemory, RateLimiterRedis, type IRateLimiterStoreOptions, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Logger } from "../logging/logger.js";
import { createRedisClient, isKnownDown, type RedisClient } from "../store/index.js";

/**
 * Where rate-limit counters live. With Redis, every replica counts against the same budget;
 * each Redis limiter carries a per-process memory limiter as insurance, so a Redis outage
 * degrades to per-process limits instead of refusing (or waving through) every request.
 */
export interface LimiterBackend {
  readonly kind: "redis" | "memory";
  limiter(options: { keyPrefix: string; points: number; durationSeconds: number }): RateLimiterAbstract;
  close(): Promise<void>;
}

export function memoryBackend(): LimiterBackend {
  return {
    kind: "memory",
    limiter: ({ keyPrefix, points, durationSeconds }) => new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
    close: async () => {},
  };
}

export function redisBackend(options: { redisUrl: string; logger: Logger; connectTimeoutMs?: number }): LimiterBackend {
  const { redisUrl, logger } = options;
  // The store's own connection code, so every REDIS_URL topology (Sentinel, Cluster, TLS) counts here too.
  // Shorter command timeout than the store's: commands queue only while connecting (so the first
  // requests after start count in Redis too); once a connection attempt fails, or after
  // commandTimeout, a command fails and the insurance limiter answers instead, so a request waits
  // at most commandTimeout on an outage.
  // Stryker disable next-line LogicalOperator: latency only: how long a connection attempt to a host that drops packets lasts (2 s, or ioredis' 10 s) before it fails and the insurance answers
  const client = createRedisClient(redisUrl, { commandTimeoutMs: 500, connectTimeoutMs: options.connectTimeoutMs ?? 2000, reconnectMaxDelayMs: 2000 });
  let down = false;
  client.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: { message: error.message } }, "rate limits: Redis unavailable, counting per process until it is back");
  });
  client.on("ready", () => {
    if (down) logger.info("rate limits: Redis available again, counting across replicas");
    down = false;
  });
  let closing: Promise<void> | undefined;
  return {
    kind: "redis",
    limiter: ({ keyPrefix, points, durationSeconds }) =>
      sharedRateLimiter(client, {
        keyPrefix,
        points,
        duration: durationSeconds,
        // A key over its points is refused from this process's memory until its window ends, without
        // asking Redis again: Redis would answer the same (a window's count only grows), and a caller
        // past its limit would otherwise cost a Redis round trip per limiter per refused request
        // (a bursty caller limit: 198 round trips for 100 asks in a second, 7 with this).
        inMemoryBlockOnConsumed: points + 1,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
      }),
    close() {
      closing ??= client.quit().then(
        () => undefined,
        () => client.disconnect(),
      );
      return closing;
    },
  };
}

/**
 * A Redis limiter whose insurance answers at once while the connection is known down. rate-limiter-flexible sends
 * every count to Redis whatever the connection's state: during an outage each one waited in ioredis' offline queue
 * for the next connect attempt, up to the 500 ms command timeout, before the insurance answered, so every request
 * the gateway served without Redis took half a second longer (0.43–0.54 s for `{ __typename }`). Its own
 * `rejectIfRedisNotReady` skips Redis whenever the connection is not "ready", the first connect included, and the
 * first requests after a start would then not count across replicas: counts still queue while a connection is
 * being made. `_isRedisReady` is rate-limiter-flexible's own check for that option (not in its typings; a unit test
 * fails by name if a version renames it: test/unit/ratelimit/rate-limiter-backend.test.ts).
 */
export function sharedRateLimiter(client: RedisClient, options: Omit<IRateLimiterStoreOptions, "storeClient" | "rejectIfRedisNotReady">): RateLimiterRedis {
  // Stryker disable next-line BooleanLiteral: equivalent: the option is read only by rate-limiter-flexible's _isRedisReady, which the next line replaces
  const limiter = new RateLimiterRedis({ ...options, storeClient: client, rejectIfRedisNotReady: true });
  (limiter as unknown as { _isRedisReady: () => boolean })._isRedisReady = () => !isKnownDown(client);
  return limiter;
}
