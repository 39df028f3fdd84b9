import type { DocumentNode, Token } from "graphql";
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
 * Apollo's general cache keeps Apollo's default bound: 30 MiB measured as Apollo measures (JSON's
 * UTF-8 bytes). The document store is bounded by the heap its documents hold (DOCUMENT_STORE_MAX_BYTES).
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

export interface ApolloCacheOptions<V = unknown> {
  maxBytes?: number;
  /** An entry's size against maxBytes; default its JSON's UTF-8 bytes, as Apollo measures. */
  sizeOf?: (value: V) => number;
  /** A monotonic clock in milliseconds for TTLs (tests); default performance.now. */
  now?: () => number;
}

export function createApolloCache<V>(options: ApolloCacheOptions<V> = {}): ApolloKeyValueCache<V> {
  const maxBytes = options.maxBytes ?? APOLLO_CACHE_MAX_BYTES;
  const sizeOf = options.sizeOf ?? sizeInBytes;
  // Entries are bounded by bytes alone, as Apollo's are: maxEntries as large as the bytes allow.
  const lru = new BoundedLru<V>({
    maxEntries: maxBytes, maxSize: maxBytes, sizeOf: (value) => Math.max(1, sizeOf(value)),
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
 * The document store's bound, in estimated heap (documentHeapBytes): 16 MiB, ~700 documents the size
 * of an exchange mutation (~22 KiB each, parsed, validated and compiled). Apollo's default (30 MiB of
 * documents' JSON, kept before) held ~110 MiB of heap for the largest documents the operation limits
 * let through (600 repeated fields: JSON 90 KiB, heap 330 KiB each), and one caller sending ~340 such
 * distinct documents took a gateway with the image's 160 MB heap to an out-of-memory crash.
 * heap-budget.ts counts this store in the 64 MB the gateway needs besides its response cache.
 */
export const DOCUMENT_STORE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Heap bytes a parsed, validated and compiled document holds while cached, estimated from what it is
 * made of: graphql-js keeps every token (a linked list, for error locations) beside the AST, so a
 * document costs per token, plus its source text (kept whole by its Location), plus a fixed part,
 * plus each escape in its string literals (BYTES_PER_ESCAPE).
 * Measured on Node 20 (--expose-gc, parse + validate + graphql-jit compile and one run): 300–1,000
 * bytes per token (~560 for long selections) and 7–22 KiB for one-field operations; the estimate's
 * 600 per token, twice the source's length (a two-byte string) and 8 KiB cover them
 * (test/unit/server/document-heap.test.ts). Counting tokens walks at most MAX_TOKENS of them (a few
 * µs), where the JSON size Apollo measures cost ~1 ms for the largest documents.
 */
export function documentHeapBytes(document: DocumentNode): number {
  const location = document.loc;
  // Parsed without locations (not by Apollo): four times its JSON, what the AST alone measured.
  if (location === undefined) return DOCUMENT_FIXED_BYTES + 4 * sizeInBytes(document);
  let tokens = 0;
  for (let token: Token | null = location.startToken; token !== null; token = token.next) tokens += 1;
  const { body } = location.source;
  return DOCUMENT_FIXED_BYTES + BYTES_PER_TOKEN * tokens + 2 * body.length + BYTES_PER_ESCAPE * backslashes(body);
}

const DOCUMENT_FIXED_BYTES = 8 * 1024;
const BYTES_PER_TOKEN = 600;
/**
 * graphql-js builds a string literal's value by appending each escape (`value += "\n"`), which keeps
 * a 32-byte string node per escape: 21,000 escapes in one 62 KB literal held ~717 KiB, and an
 * estimate blind to them let ~150 such documents (~105 MiB) into the store's 16 MiB (found by an
 * attacker's review; a gateway under the image's 160 MB heap ran out of memory). Every backslash is
 * charged, in a string or not: counting them costs one indexOf pass.
 */
const BYTES_PER_ESCAPE = 40;

function backslashes(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\\"); at >= 0; at = text.indexOf("\\", at + 1)) count += 1;
  return count;
}

/**
 * The store of parsed and validated documents Apollo looks up by the query's SHA-256, bounded by
 * their estimated heap (DOCUMENT_STORE_MAX_BYTES), the least recently used leaving first; graphql-jit's
 * compiled queries live and go with its entries (compiled-execution.ts). A document with a grant or
 * token written into it is not kept: parsed again if it comes again (its caller's cost, bounded by
 * MAX_TOKENS), never a secret held in memory beyond its request.
 */
export function createDocumentStore(options: ApolloCacheOptions = {}): ApolloKeyValueCache<DocumentNode> {
  const maxBytes = options.maxBytes ?? DOCUMENT_STORE_MAX_BYTES;
  const cache = createApolloCache<DocumentNode>({ ...options, maxBytes, sizeOf: documentHeapBytes });
  return {
    ...cache,
    set: (key, document, setOptions) => (documentCarriesSecretLiteral(document) ? Promise.resolve() : cache.set(key, document, setOptions)),
  };
}
