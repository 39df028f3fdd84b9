/**
 * The store layer's public face. `createGatewayStore` is the one wiring main/tokens need:
 * no REDIS_URL → a bounded memory store (one process); REDIS_URL → Redis behind the resilient
 * wrapper (process-local fallback while Redis is unreachable).
 */
import { createMemoryStore, type MemoryStoreOptions } from "./memory-store.js";
import { createRedisStore } from "./redis-store.js";
import { createResilientStore } from "./resilient-store.js";
import type { CarryPolicy } from "./outage-writes.js";
import type { StoreFailureCause } from "./store-errors.js";
import type { Store, StoreLogger } from "./store.types.js";

export interface GatewayStoreOptions {
  /** REDIS_URL, or undefined for the in-memory store. */
  redisUrl: string | undefined;
  logger: StoreLogger;
  /** Prepended to every Redis key and channel. Default "". */
  keyPrefix?: string;
  /** Bounds of the memory store (and of the fallback used while Redis is unreachable). */
  memory?: MemoryStoreOptions;
  /** Counts each Redis operation that failed and was served from process memory, by cause (for /metrics). */
  onFailure?: (cause: StoreFailureCause) => void;
  /** Keys whose writes while Redis is away are replayed on it when it is back (createResilientStore). */
  carriedThroughOutage?: (key: string) => CarryPolicy | undefined;
}

export function createGatewayStore(options: GatewayStoreOptions): Store {
  if (options.redisUrl === undefined) return createMemoryStore(options.memory);
  return createResilientStore({
    primary: createRedisStore({ url: options.redisUrl, keyPrefix: options.keyPrefix ?? "", logger: options.logger }),
    fallback: createMemoryStore(options.memory),
    logger: options.logger,
    ...(options.onFailure ? { onFailure: options.onFailure } : {}),
    ...(options.carriedThroughOutage ? { carriedThroughOutage: options.carriedThroughOutage, carriedMaxEntries: options.memory?.maxEntries ?? 10_000 } : {}),
  });
}

export type { Store, StoreHealth, StoreHealthStatus, StoreKind, StoreLogger, MessageHandler, Unsubscribe } from "./store.types.js";
export { createMemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { createRedisStore, type RedisStoreOptions } from "./redis-store.js";
export { createResilientStore, type ResilientStoreOptions } from "./resilient-store.js";
export type { CarryPolicy } from "./outage-writes.js";
export { StoreUnavailableError, isStoreUnavailable, type StoreFailureCause } from "./store-errors.js";
export { createKeyspace, SealedValueError, KEY_NAMESPACE, type Keyspace } from "./keyspace.js";
export { parseRedisUrl, describeRedisUrl, REDIS_URL_FORMS, type RedisTarget } from "./redis-url.js";
export { createRedisClient, isKnownDown, type RedisClient, type RedisClientOptions } from "./redis-client.js";
