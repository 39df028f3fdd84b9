import type { GatewayConfig } from "../config/config.types.js";
import { GatewayError, isGatewayError } from "../errors/error-codes.js";
import { createMemoryStore } from "../store/memory-store.js";
import { createRedisStore } from "../store/redis-store.js";
import type { Store, StoreLogger } from "../store/store.types.js";

/**
 * The store sessions live in: a connection of their own to REDIS_URL, or a memory store of their
 * own. Never the token store, for two reasons:
 * - The token store falls back to process memory while Redis is down. For a cache that is right;
 *   for sessions it would read every session as absent and sign every browser out (and forget
 *   sign-outs made meanwhile). Here a failing Redis is SESSION_STORE_UNAVAILABLE: retryable, and
 *   the cookie is kept.
 * - Its memory store's LRU is shared with the response cache: cache traffic would evict sessions.
 */
export function createSessionBackingStore(config: Pick<GatewayConfig, "redisUrl" | "coordination">, logger: StoreLogger): Store {
  const store = config.redisUrl === undefined
    ? createMemoryStore(config.coordination ? { maxEntries: config.coordination.cacheMaxEntries, maxBytes: config.coordination.cacheMaxBytes } : {})
    : createRedisStore({ url: config.redisUrl, keyPrefix: config.coordination?.redisKeyPrefix ?? "", logger });
  return unavailableOnFailure(store);
}

/** Every store failure becomes SESSION_STORE_UNAVAILABLE (the cause kept for logs, never shown). */
export function unavailableOnFailure(store: Store): Store {
  const unavailable = (cause: unknown): never => {
    if (isGatewayError(cause)) throw cause;
    throw new GatewayError("SESSION_STORE_UNAVAILABLE", undefined, {}, { cause });
  };
  return {
    kind: store.kind,
    ordered: store.ordered,
    get: (key) => store.get(key).catch(unavailable),
    set: (key, value, ttlMs) => store.set(key, value, ttlMs).catch(unavailable),
    delete: (key) => store.delete(key).catch(unavailable),
    swap: (key, value, ttlMs) => store.swap(key, value, ttlMs).catch(unavailable),
    setIfAbsent: (key, value, ttlMs) => store.setIfAbsent(key, value, ttlMs).catch(unavailable),
    deleteIfEquals: (key, expected) => store.deleteIfEquals(key, expected).catch(unavailable),
    extendIfEquals: (key, expected, ttlMs) => store.extendIfEquals(key, expected, ttlMs).catch(unavailable),
    increment: (key, ttlMs) => store.increment(key, ttlMs).catch(unavailable),
    publish: (channel, message) => store.publish(channel, message).catch(unavailable),
    subscribe: (channel, handler) => store.subscribe(channel, handler).catch(unavailable),
    health: () => store.health(),
    close: () => store.close(),
  };
}
