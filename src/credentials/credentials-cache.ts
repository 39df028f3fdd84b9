import { BoundedLru } from "../store/bounded-lru.js";
import type { Keyspace } from "../store/keyspace.js";
import { describeError } from "../store/store-options.js";
import type { Store, StoreLogger } from "../store/store.types.js";
import { decodeCredentials, encodeCredentials } from "./credentials-codec.js";
import type { IssuedCredentials } from "./credentials.types.js";

/**
 * Credentials are handed out only while at least half their life, and at least ten minutes, remain:
 * a browser's AWS SDK renews five minutes before `expiration`, so whoever receives cached
 * credentials can use them for a while before asking again.
 */
const MIN_REMAINING_MS = 10 * 60_000;
/** Process-local bounds: a session token is about 1 KB; 5,000 sets stay under ~10 MB. */
const LOCAL_MAX_ENTRIES = 5_000;
/** The process-local level's bound in bytes as credentialsEntryBytes counts them (counted in the heap budget: src/server/heap-tenants.ts). */
export const CREDENTIALS_CACHE_MAX_BYTES = 16 * 1024 * 1024;
const ENTRY_OVERHEAD_BYTES = 256;

interface CacheEntry {
  credentials: IssuedCredentials;
  until: number;
}

export interface CredentialsCache {
  /** The process-local level alone, synchronously (no I/O): servable credentials or undefined. */
  peek(fingerprint: string): IssuedCredentials | undefined;
  /** Local level, then (on Redis) the shared one. A store failure is a miss. */
  lookup(fingerprint: string, durationSeconds: number): Promise<IssuedCredentials | undefined>;
  /** Keeps `credentials` until the renewal margin; a store failure is logged, never thrown. */
  save(fingerprint: string, credentials: IssuedCredentials, durationSeconds: number): Promise<void>;
}

/**
 * What an entry costs the local level's byte bound: its strings and a fixed overhead (objects, string
 * headers, the LRU's entry); checked against the garbage collector in
 * test/unit/credentials/credentials-cache-heap.test.ts.
 */
export function credentialsEntryBytes(credentials: IssuedCredentials, fingerprint: string): number {
  return ENTRY_OVERHEAD_BYTES + fingerprint.length + credentials.accessKeyId.length + credentials.secretAccessKey.length + credentials.sessionToken.length + credentials.roleArn.length + credentials.assumedRoleArn.length;
}

/** Until when (epoch ms) credentials of a `durationSeconds` session may be handed out. */
export function servableUntil(credentials: IssuedCredentials, durationSeconds: number): number {
  return credentials.expiration - Math.max(MIN_REMAINING_MS, (durationSeconds * 1000) / 2);
}

/**
 * The credentials cache, per (identity context, role, duration) fingerprint: a process-local LRU in
 * front of the store, where, on Redis, entries are shared by replicas, sealed at rest
 * (AES-256-GCM) under HMAC keys, with a TTL ending at the renewal margin.
 */
export function createCredentialsCache(options: { store: Store; keyspace: Keyspace; logger: StoreLogger; now?: () => number }): CredentialsCache {
  const { store, keyspace, logger } = options;
  const now = options.now ?? Date.now;
  const shared = store.kind !== "memory";
  const local = new BoundedLru<CacheEntry>({
    maxEntries: LOCAL_MAX_ENTRIES,
    maxSize: CREDENTIALS_CACHE_MAX_BYTES,
    sizeOf: ({ credentials }, key) => credentialsEntryBytes(credentials, key),
  });
  const keep = (fingerprint: string, credentials: IssuedCredentials, until: number): number => {
    const ttlMs = Math.floor(until - now());
    if (ttlMs > 0) local.set(fingerprint, { credentials, until }, { ttlMs });
    return ttlMs;
  };

  return {
    peek(fingerprint) {
      const entry = local.get(fingerprint);
      return entry !== undefined && entry.until > now() ? entry.credentials : undefined;
    },

    async lookup(fingerprint, durationSeconds) {
      const entry = local.get(fingerprint);
      if (entry !== undefined && entry.until > now()) return entry.credentials;
      if (!shared) return undefined;
      const key = keyspace.key("aws-credentials", fingerprint);
      try {
        const sealed = await store.get(key);
        if (sealed === null) return undefined;
        const credentials = decodeCredentials(keyspace.open(key, sealed));
        return keep(fingerprint, credentials, servableUntil(credentials, durationSeconds)) > 0 ? credentials : undefined;
      } catch (error) {
        logger.warn({ reason: describeError(error) }, "credentials cache: lookup failed; treating as a miss");
        return undefined;
      }
    },

    async save(fingerprint, credentials, durationSeconds) {
      const ttlMs = keep(fingerprint, credentials, servableUntil(credentials, durationSeconds));
      if (!shared || ttlMs <= 0) return;
      const key = keyspace.key("aws-credentials", fingerprint);
      try {
        await store.set(key, keyspace.seal(key, encodeCredentials(credentials)), ttlMs);
      } catch (error) {
        logger.warn({ reason: describeError(error) }, "credentials cache: could not store credentials");
      }
    },
  };
}
