import type { ApolloServerOptions, BaseContext } from "@apollo/server";
import type { Store } from "../store/index.js";

/**
 * Automatic persisted queries (APQ) kept in the gateway's Store, so a document registered on one
 * replica is found by every other (Redis) and frontends can send a SHA-256 hash instead of the
 * document. Apollo validates a document (including our operation limits) before registering it
 * and prefixes keys with `apq:`; we add our own namespace. The hash is not a secret, and documents
 * carry no secrets either: tokens travel in variables, which are never stored here.
 */
export const APQ_KEY_NAMESPACE = "idc:v1:persisted-query:";

/** How long a registered document lives without being re-registered: a day (Apollo's APQ default is no expiry). */
export const APQ_DEFAULT_TTL_SECONDS = 24 * 60 * 60;

/** Apollo's KeyValueCache<string> contract, stated here so we need not depend on @apollo/utils.keyvaluecache. */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

export function createStoreApqCache(store: Store, defaultTtlSeconds = APQ_DEFAULT_TTL_SECONDS): PersistedQueryCache {
  if (!Number.isInteger(defaultTtlSeconds) || defaultTtlSeconds <= 0) {
    throw new TypeError(`createStoreApqCache: defaultTtlSeconds must be a positive integer (got ${String(defaultTtlSeconds)})`);
  }
  return {
    async get(key) {
      const value = await store.get(APQ_KEY_NAMESPACE + key);
      return value === null ? undefined : value.toString("utf8");
    },
    async set(key, value, options) {
      // Apollo passes ttl in seconds; null/undefined means "no expiry", which a shared store should not hold forever.
      const ttlSeconds = typeof options?.ttl === "number" && options.ttl > 0 ? options.ttl : defaultTtlSeconds;
      await store.set(APQ_KEY_NAMESPACE + key, Buffer.from(value, "utf8"), ttlSeconds * 1000);
    },
    async delete(key) {
      await store.delete(APQ_KEY_NAMESPACE + key);
      return true;
    },
  };
}

/**
 * Apollo's `persistedQueries` option: backed by `store` when one is given, else Apollo's own
 * bounded in-memory cache (one process).
 */
export function persistedQueriesOption(store: Store | undefined): ApolloServerOptions<BaseContext>["persistedQueries"] {
  if (store === undefined) return { ttl: APQ_DEFAULT_TTL_SECONDS };
  return { cache: createStoreApqCache(store), ttl: APQ_DEFAULT_TTL_SECONDS };
}
