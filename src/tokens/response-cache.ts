import { BoundedLru } from "../store/bounded-lru.js";
import type { Keyspace } from "../store/keyspace.js";
import { describeError as describe } from "../store/store-options.js";
import type { Store, StoreLogger } from "../store/store.types.js";
import { decodeIssuedToken, encodeIssuedToken, remainingLifeMs } from "./issued-token-codec.js";
import type { IssuedToken } from "./token.types.js";

export interface ResponseCacheOptions {
  /** The shared store: Redis (shared by replicas) or memory. With a memory store only the local LRU is used. */
  store: Store;
  keyspace: Keyspace;
  /** A response is served only while its access token keeps more than this much life. */
  minTtlMs: number;
  /** Bounds of the process-local LRU. */
  maxEntries: number;
  maxBytes: number;
  logger: StoreLogger;
  now?: () => number;
}

/** `hit`: served; `miss`: nothing cached; `stale`: cached, but with too little life left to serve (or past its assertion's exp). */
export type CacheLookup = { result: "hit"; token: IssuedToken } | { result: "miss" | "stale" };

export interface ResponseCache {
  /**
   * The process-local level alone, synchronously: the servable entry, or undefined. No I/O, so a
   * hit needs no promise; a miss or a stale entry is left to `lookup` (which counts and drops it).
   */
  peek(fingerprint: string): IssuedToken | undefined;
  /** `notAfter`: epoch ms after which the exchange's own input (the assertion's exp) no longer holds; a shared entry is served only before it. */
  lookup(fingerprint: string, notAfter?: number): Promise<CacheLookup>;
  /**
   * Keeps `token` until its remaining life falls to the margin, and never past `notAfter` (the
   * assertion's exp); no-op for tokens without expiresIn or too little life.
   */
  save(fingerprint: string, token: IssuedToken, notAfter?: number): Promise<void>;
  /**
   * The gateway rotated `refreshToken`: the cached answer holding it (if any) is dropped here, in
   * the shared store, and (by a published eviction) from every replica's process-local level.
   */
  forgetAnswerHolding(clientId: string, refreshToken: string): Promise<void>;
}

/** A local entry: the answer, and until when (epoch ms) it may be served; computed once at insertion, so a hit only compares. */
interface CacheEntry {
  token: IssuedToken;
  until: number;
}

/**
 * The response cache of replayable grants (JWT bearer, token exchange). Two levels: a
 * process-local LRU (bounded by entries and bytes; the hot path, no I/O) in front of the
 * store, where, on Redis, entries are shared by replicas with TTL = remaining life − margin and
 * sealed at rest. Keys are HMACs of the exchange fingerprint: no secret input in any key.
 * An entry never outlives its inputs: its life is capped at the assertion's exp, and it is
 * dropped once the gateway rotates the refresh token it holds (on Redis, a sealed link from that
 * token's HMAC key to the fingerprint finds it and an eviction message tells the other replicas; in
 * memory mode, a map beside the LRU).
 * A store failure is never the caller's failure: the cache is an optimisation.
 */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { store, keyspace, minTtlMs, logger } = options;
  const now = options.now ?? Date.now;
  const shared = store.kind !== "memory";
  /**
   * Memory mode: by application, the fingerprint of the cached answer holding each refresh token,
   * for forgetAnswerHolding. The answers live only in `local`, so their links live beside it: a link
   * leaves this map when its answer leaves the LRU (dispose, whatever the reason), so the map never
   * outgrows the LRU, and it points at strings the LRU holds anyway. A link in the memory store cost
   * each uncached exchange an HMAC key, a sealed Buffer and an asynchronous write (~0.5 KB per cached
   * answer), and took one of that shared store's CACHE_MAX_ENTRIES slots from its other records.
   * Plain Maps: process memory only, like the answers themselves (which the LRU holds as values).
   */
  const holders = shared ? undefined : new Map<string, Map<string, string>>();
  const local = new BoundedLru<CacheEntry>({
    maxEntries: options.maxEntries,
    maxSize: options.maxBytes,
    sizeOf: (entry, key) => approximateBytes(entry.token) + key.length,
    ...(holders && {
      dispose: (entry: CacheEntry, fingerprint: string) => {
        const { clientId, refreshToken } = entry.token;
        if (refreshToken === undefined) return;
        const links = holders.get(clientId);
        // A newer answer (another fingerprint) may hold the same token: its link is not this answer's to drop.
        if (links?.get(refreshToken) !== fingerprint) return;
        links.delete(refreshToken);
        if (links.size === 0) holders.delete(clientId);
      },
    }),
  });
  const evictions = keyspace.key("token-cache-evict");
  // Fingerprints are HMACs under the gateway secret: safe to publish. A replica that misses a message
  // (Redis down) keeps the entry until its own bounds: the same as before rotation was tracked.
  if (shared) {
    store.subscribe(evictions, (message) => local.delete(message.toString("utf8"))).catch((error: unknown) => {
      logger.warn({ reason: describe(error) }, "response cache: could not subscribe to evictions");
    });
  }

  /** Until when (epoch ms) `token` may be served: its access token's life less the margin, capped at `notAfter`. */
  const servableUntil = (token: IssuedToken, notAfter: number | undefined): number =>
    Math.min((remainingLifeMs(token, 0) ?? Number.NEGATIVE_INFINITY) - minTtlMs, notAfter ?? Number.POSITIVE_INFINITY);
  const linkKey = (clientId: string, refreshToken: string): string => keyspace.key("token-cache-link", clientId, refreshToken);
  /**
   * An exchange derives its entry's shared key up to three times (its lookup, the lookup again under
   * its lock, its save), an HMAC each: the last SHARED_KEY_MEMO fingerprints' keys are remembered.
   * Fingerprints are HMACs already: nothing secret is kept.
   */
  const sharedKeys = new Map<string, string>();
  const sharedKey = (fingerprint: string): string => {
    let key = sharedKeys.get(fingerprint);
    if (key === undefined) {
      key = keyspace.key("token-cache", fingerprint);
      sharedKeys.set(fingerprint, key);
      if (sharedKeys.size > SHARED_KEY_MEMO) sharedKeys.delete(sharedKeys.keys().next().value as string);
    }
    return key;
  };

  return {
    peek(fingerprint) {
      const cached = local.get(fingerprint);
      return cached !== undefined && cached.until > now() ? cached.token : undefined;
    },

    async lookup(fingerprint, notAfter) {
      // The local level is keyed by the fingerprint itself (already an HMAC under the gateway secret): a hit costs no further hashing.
      const cached = local.get(fingerprint);
      if (cached !== undefined) {
        if (cached.until > now()) return { result: "hit", token: cached.token };
        local.delete(fingerprint);
        return { result: "stale" };
      }
      if (!shared) return { result: "miss" };
      const key = sharedKey(fingerprint);
      try {
        const sealed = await store.get(key);
        if (sealed === null) return { result: "miss" };
        const token = decodeIssuedToken(keyspace.open(key, sealed));
        const until = servableUntil(token, notAfter);
        const ttlMs = Math.floor(until - now());
        if (ttlMs <= 0) return { result: "stale" };
        local.set(fingerprint, { token, until }, { ttlMs });
        return { result: "hit", token };
      } catch (error) {
        logger.warn({ reason: describe(error) }, "response cache: lookup failed; treating as a miss");
        return { result: "miss" };
      }
    },

    async save(fingerprint, token, notAfter) {
      const until = servableUntil(token, notAfter);
      const ttlMs = Math.floor(until - now());
      if (ttlMs <= 0) return;
      const kept = local.set(fingerprint, { token, until }, { ttlMs });
      if (holders) {
        const refreshToken = token.refreshToken;
        // An answer larger than the LRU's byte bound is not kept, and then neither is its link.
        if (refreshToken === undefined || !kept) return;
        let links = holders.get(token.clientId);
        if (links === undefined) holders.set(token.clientId, (links = new Map()));
        links.set(refreshToken, fingerprint);
        return;
      }
      try {
        // Stryker disable next-line ArrayDeclaration: equivalent, Promise.all passes a non-promise entry through as its own value
        const writes: Array<Promise<void>> = [];
        if (token.refreshToken !== undefined) {
          const link = linkKey(token.clientId, token.refreshToken);
          // Stryker disable next-line StringLiteral: equivalent, Buffer.from reads an empty encoding name as UTF-8
          writes.push(store.set(link, keyspace.seal(link, Buffer.from(fingerprint, "utf8")), ttlMs));
        }
        const key = sharedKey(fingerprint);
        writes.push(store.set(key, keyspace.seal(key, encodeIssuedToken(token)), ttlMs));
        await Promise.all(writes);
      } catch (error) {
        logger.warn({ reason: describe(error) }, "response cache: could not store a response");
      }
    },

    async forgetAnswerHolding(clientId, refreshToken) {
      if (holders) {
        const fingerprint = holders.get(clientId)?.get(refreshToken);
        // A link always points at an answer in the LRU (dispose drops it with its answer, and drops it now).
        if (fingerprint !== undefined) local.delete(fingerprint);
        return;
      }
      const link = linkKey(clientId, refreshToken);
      try {
        const sealed = await store.get(link);
        if (sealed === null) return;
        const fingerprint = keyspace.open(link, sealed).toString("utf8");
        local.delete(fingerprint);
        await store.delete(link);
        await store.delete(sharedKey(fingerprint));
        // Stryker disable next-line StringLiteral: equivalent, Buffer.from reads an empty encoding name as UTF-8
        await store.publish(evictions, Buffer.from(fingerprint, "utf8"));
      } catch (error) {
        logger.warn({ reason: describe(error) }, "response cache: could not drop the answer of a rotated refresh token");
      }
    },
  };
}

/** How many fingerprints' shared keys a cache remembers: more than the exchanges in flight at once. */
const SHARED_KEY_MEMO = 1_024;

/** Per-entry overhead the strings do not show (numbers, field names, object and string headers, the LRU's entry), bytes. */
const ENTRY_OVERHEAD_BYTES = 400;

/** The decoded claims' own objects (the claims record, the payload object, three Dates), beside their strings. */
const ID_TOKEN_CLAIMS_OVERHEAD_BYTES = 200;

/**
 * What an entry costs the LRU's byte bound: the strings it holds (one byte per UTF-16 unit, as the
 * JSON encoding of these ASCII tokens has) plus a fixed overhead, and the ID token's claims, which a
 * request selecting `idTokenClaims` decodes once and keeps with the answer for its life (about the ID
 * token's length again: id-token-claims.ts). Checked against the garbage collector in
 * test/unit/tokens/response-cache-heap.test.ts. Summing lengths instead of serialising (~2 KB of JSON
 * per save) keeps the bound without the CPU.
 */
export function approximateBytes(token: IssuedToken): number {
  let bytes = ENTRY_OVERHEAD_BYTES + token.clientId.length;
  if (token.idToken !== undefined) bytes += token.idToken.length + ID_TOKEN_CLAIMS_OVERHEAD_BYTES;
  for (const value of [token.accessToken, token.tokenType, token.refreshToken, token.idToken, token.issuedTokenType, token.awsAdditionalDetails?.identityContext]) {
    if (value !== undefined) bytes += value.length;
  }
  for (const scope of token.scope ?? []) bytes += scope.length + 3;
  return bytes;
}
