import type { PersistedQueryLimits } from "../config/config.types.js";
import { createGatewayStore, type Store, type StoreLogger } from "../store/index.js";
import { MEMORY_STORE_ENTRY_OVERHEAD_BYTES } from "../store/memory-store.js";
import { APQ_ENTRY_OVERHEAD_BYTES, getValidPersistedQueryLimits } from "./apq-cache.js";

export interface PersistedQueryStoreOptions {
  /** REDIS_URL: shared across replicas; undefined: this process only. */
  redisUrl: string | undefined;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
  limits: PersistedQueryLimits;
  logger: StoreLogger;
}

/**
 * Persisted queries' own Store, never the token store: in memory a separate LRU sized for exactly
 * the APQ budget; with Redis a connection of its own (and its own process-local fallback while
 * Redis is down), so nothing APQ does can evict or crowd out token state in memory.
 */
export function createPersistedQueryStore(options: PersistedQueryStoreOptions): Store {
  const { maxEntries, maxDocumentBytes } = getValidPersistedQueryLimits(options.limits);
  return createGatewayStore({
    redisUrl: options.redisUrl,
    keyPrefix: options.keyPrefix,
    logger: options.logger,
    // Two entries a document (its slot and itself), each with the memory store's own overhead: a full table of the largest documents must fit.
    memory: { maxEntries: 2 * maxEntries, maxBytes: maxEntries * (maxDocumentBytes + APQ_ENTRY_OVERHEAD_BYTES + 2 * MEMORY_STORE_ENTRY_OVERHEAD_BYTES) },
  });
}
