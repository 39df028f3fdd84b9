import { Cluster, Redis, type RedisOptions } from "ioredis";
import { parseRedisUrl, type RedisTarget } from "./redis-url.js";

/** A connection to any REDIS_URL topology: one server, a Sentinel-managed primary, or a Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** A command with no reply after this long rejects. */
  commandTimeoutMs: number;
  /** Time allowed for each TCP connect. */
  connectTimeoutMs: number;
  /** Reconnect backoff grows 50 ms, 100 ms, 200 ms … up to this cap (plus jitter). */
  reconnectMaxDelayMs: number;
}

/**
 * The one place REDIS_URL becomes an ioredis client, shared by the store and the rate limiter so
 * both reach the same topology the same way. Commands queue only while (re)connecting and are
 * never replayed after a dropped socket (maxRetriesPerRequest 0): callers fall back instead.
 */
export function createRedisClient(urlOrTarget: string | RedisTarget, options: RedisClientOptions): RedisClient {
  const target = typeof urlOrTarget === "string" ? parseRedisUrl(urlOrTarget) : urlOrTarget;
  const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 16), options.reconnectMaxDelayMs) + Math.floor(Math.random() * 50);
  const common: RedisOptions = {
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: backoff,
  };
  switch (target.mode) {
    case "standalone":
      return new Redis(target.url, common);
    case "sentinel":
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.masterName,
        ...(target.username ? { username: target.username, sentinelUsername: target.username } : {}),
        ...(target.password ? { password: target.password, sentinelPassword: target.password } : {}),
        ...(target.db !== undefined ? { db: target.db } : {}),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        sentinelRetryStrategy: backoff,
      });
    case "cluster":
      return new Cluster(target.nodes, {
        enableOfflineQueue: true,
        clusterRetryStrategy: backoff,
        redisOptions: {
          ...common,
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.tls ? { tls: {} } : {}),
        },
      });
  }
}
