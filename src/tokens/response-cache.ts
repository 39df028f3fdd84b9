import { LRUCache } from "lru-cache";
import type { Keyspace } from "../store/keyspace.js";
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

/** `hit`: served; `miss`: nothing cached; `stale`: cached, but with too little life left to serve. */
export type CacheLookup = { result: "hit"; token: IssuedToken } | { result: "miss" | "stale" };

export interface ResponseCache {
  /**
   * The process-local level alone, synchronously: the servable entry, or undefined. No I/O, so a
   * hit needs no promise; a miss or a stale entry is left to `lookup` (which counts and drops it).
   */
  peek(fingerprint: string): IssuedToken | undefined;
  lookup(fingerprint: string): Promise<CacheLookup>;
  /** Keeps `token` until its remaining life falls to the margin; no-op for tokens without expiresIn or too little life. */
  save(fingerprint: string, token: IssuedToken): Promise<void>;
}

/**
 * The response cache of replayable grants (JWT bearer, token exchange). Two levels: a
 * process-local LRU (bounded by entries and bytes; the hot path, no I/O) in front of the
 * store, where, on Redis, entries are shared by replicas with TTL = remaining life − margin and
 * sealed at rest. Keys are HMACs of the exchange fingerprint: no secret input in any key.
 * A store failure is never the caller's failure: the cache is an optimisation.
 */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { store, keyspace, minTtlMs, logger } = options;
  const now = options.now ?? Date.now;
  const shared = store.kind !== "memory";
  const local = new LRUCache<string, IssuedToken>({
    max: options.maxEntries,
    maxSize: options.maxBytes,
    sizeCalculation: (token, key) => approximateBytes(token) + key.length,
  });

  /** How long `token` may still be served from now; ≤ 0 = not at all. */
  const servableMs = (token: IssuedToken): number => (remainingLifeMs(token, now()) ?? 0) - minTtlMs;

  return {
    peek(fingerprint) {
      const cached = local.get(fingerprint);
      return cached !== undefined && servableMs(cached) > 0 ? cached : undefined;
    },

    async lookup(fingerprint) {
      // The local level is keyed by the fingerprint itself (already an HMAC under the gateway secret): a hit costs no further hashing.
      const cached = local.get(fingerprint);
      if (cached !== undefined) {
        if (servableMs(cached) > 0) return { result: "hit", token: cached };
        local.delete(fingerprint);
        return { result: "stale" };
      }
      if (!shared) return { result: "miss" };
      const key = keyspace.key("token-cache", fingerprint);
      try {
        const sealed = await store.get(key);
        if (sealed === null) return { result: "miss" };
        const token = decodeIssuedToken(keyspace.open(key, sealed));
        const ttlMs = Math.floor(servableMs(token));
        if (ttlMs <= 0) return { result: "stale" };
        local.set(fingerprint, token, { ttl: ttlMs });
        return { result: "hit", token };
      } catch (error) {
        logger.warn({ reason: describe(error) }, "response cache: lookup failed; treating as a miss");
        return { result: "miss" };
      }
    },

    async save(fingerprint, token) {
      const ttlMs = Math.floor(servableMs(token));
      if (ttlMs <= 0) return;
      local.set(fingerprint, token, { ttl: ttlMs });
      if (!shared) return;
      const key = keyspace.key("token-cache", fingerprint);
      try {
        await store.set(key, keyspace.seal(key, encodeIssuedToken(token)), ttlMs);
      } catch (error) {
        logger.warn({ reason: describe(error) }, "response cache: could not store a response");
      }
    },
  };
}

/** Per-entry overhead the strings do not show (numbers, field names, object headers), bytes. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * What an entry costs the LRU's byte bound: the strings it holds (one byte per UTF-16 unit, as the
 * JSON encoding of these ASCII tokens has) plus a fixed overhead. Summing lengths instead of
 * serialising (~2 KB of JSON per save) keeps the bound without the CPU.
 */
export function approximateBytes(token: IssuedToken): number {
  let bytes = ENTRY_OVERHEAD_BYTES + token.clientId.length;
  for (const value of [token.accessToken, token.tokenType, token.refreshToken, token.idToken, token.issuedTokenType, token.awsAdditionalDetails?.identityContext]) {
    if (value !== undefined) bytes += value.length;
  }
  for (const scope of token.scope ?? []) bytes += scope.length + 3;
  return bytes;
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 200);
}
