import type { DocumentNode } from "graphql";
import { BoundedLru } from "../store/bounded-lru.js";
import { documentCarriesSecretLiteral } from "./document-secrets.js";

/**
 * The in-memory caches Apollo Server keeps for itself, built on the gateway's BoundedLru instead of
 * Apollo's default (InMemoryLRUCache, i.e. lru-cache). lru-cache publishes every get and set, with its
 * key, its value and the cache itself, on the `lru-cache:metrics` diagnostics channel to any subscriber
 * in the process (an APM agent, an OpenTelemetry instrumentation), and a document may carry a grant
 * written into it as a literal instead of a variable: legal GraphQL that Apollo caches once parsed and
 * validated. test/unit/server/diagnostics-channel-documents.test.ts subscribes and sends one.
 *
 * The bound is Apollo's default, kept: 30 MiB of documents measured as Apollo measures them (their
 * JSON's UTF-8 bytes; computed once per new document, after the parse and validation it caches).
 */
export const APOLLO_CACHE_MAX_BYTES = 30 * 1024 * 1024;

/** Apollo's KeyValueCache<V> contract, stated here so we need not depend on @apollo/utils.keyvaluecache. */
export interface ApolloKeyValueCache<V> {
  get(key: string): Promise<V | undefined>;
  /** `ttl` in seconds, as Apollo passes it; absent, null or 0: until evicted. */
  set(key: string, value: V, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
}

function sizeInBytes(value: unknown): number {
  return typeof value === "string" ? Buffer.byteLength(value, "utf8") : Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

export interface ApolloCacheOptions {
  maxBytes?: number;
  /** A monotonic clock in milliseconds for TTLs (tests); default performance.now. */
  now?: () => number;
}

export function createApolloCache<V>(options: ApolloCacheOptions = {}): ApolloKeyValueCache<V> {
  const maxBytes = options.maxBytes ?? APOLLO_CACHE_MAX_BYTES;
  // Entries are bounded by bytes alone, as Apollo's are: maxEntries as large as the bytes allow.
  const lru = new BoundedLru<V>({
    maxEntries: maxBytes, maxSize: maxBytes, sizeOf: (value) => Math.max(1, sizeInBytes(value)),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    get: (key) => Promise.resolve(lru.get(key)),
    set: (key, value, options) => {
      lru.set(key, value, options?.ttl ? { ttlMs: options.ttl * 1000 } : {});
      return Promise.resolve();
    },
    delete: (key) => Promise.resolve(lru.delete(key)),
  };
}

/**
 * The store of parsed and validated documents Apollo looks up by the query's SHA-256. A document with a
 * grant or token written into it is not kept: parsed again if it comes again (its caller's cost, bounded
 * by MAX_TOKENS), never a secret held in memory beyond its request.
 */
export function createDocumentStore(options: ApolloCacheOptions = {}): ApolloKeyValueCache<DocumentNode> {
  const cache = createApolloCache<DocumentNode>(options);
  return {
    ...cache,
    set: (key, document, setOptions) => (documentCarriesSecretLiteral(document) ? Promise.resolve() : cache.set(key, document, setOptions)),
  };
}
