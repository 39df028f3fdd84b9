import { createHash } from "node:crypto";
import type { ApolloServerOptions, BaseContext } from "@apollo/server";
import type { PersistedQueryLimits } from "../config/config.types.js";
import type { Store, StoreLogger } from "../store/index.js";
import { BoundedLru } from "../store/bounded-lru.js";
import { carriesSecretLiteral } from "./document-secrets.js";
import { createThrottledLog } from "./throttled-log.js";

/**
 * Automatic persisted queries (APQ) in a budget of their own, apart from token state:
 *
 * - their own Store (apq-store.ts): a separate memory LRU, or in Redis keys under their own
 *   namespace on their own connection, so a flood of registrations can never evict or crowd out
 *   grace entries, cached answers, locks or rate counters;
 * - a fixed table of APQ_MAX_ENTRIES slots: a document lives in one of APQ_PROBES slots derived
 *   from its hash, claimed with setIfAbsent. That bound is exact and atomic across replicas
 *   without a counter: at most maxEntries documents of at most maxDocumentBytes each exist, so
 *   the budget in bytes is maxEntries × (maxDocumentBytes + APQ_ENTRY_OVERHEAD_BYTES);
 * - a registration that does not fit (document too large, or its slots taken) is executed but not
 *   stored: the client keeps sending the document with the hash, as APQ allows;
 * - a store failure never fails a request: a failed read is a miss (the client sends the
 *   document), a failed write is not stored; both are logged at warn, at most once a minute.
 *
 * The hash is not a secret. Variables, where grants travel, are never stored here; a document with a
 * grant or token written into it as a literal is executed but not stored (document-secrets.ts).
 */
export const APQ_KEY_NAMESPACE = "idc:v1:persisted-query:";

/** Documents whose carries-a-secret verdict is remembered by hash (~100 bytes each). */
const SECRET_VERDICTS_KEPT = 1000;

/** Slots one document may occupy: enough that collisions rarely refuse one below ~50 % load, few enough to read in one round trip. */
export const APQ_PROBES = 4;

/** The slot value's bytes beside the document: Apollo's key ("apq:" + 64 hex digits), a newline, the slot key. */
export const APQ_ENTRY_OVERHEAD_BYTES = 128;

/** Apollo's KeyValueCache<string> contract, stated here so we need not depend on @apollo/utils.keyvaluecache. */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

export type PersistedQueryOutcome = "stored" | "already-stored" | "too-large" | "carries-secret" | "budget-full" | "store-failed";

export interface PersistedQueryCacheOptions {
  store: Store;
  limits: PersistedQueryLimits;
  logger: StoreLogger;
  /** Told what became of each registration (metrics, tests). */
  onRegistration?: (outcome: PersistedQueryOutcome) => void;
}

export function createPersistedQueryCache(options: PersistedQueryCacheOptions): PersistedQueryCache {
  const { store, limits, logger } = options;
  const { maxEntries, maxDocumentBytes, ttlSeconds } = getValidPersistedQueryLimits(limits);
  const warn = createThrottledLog(logger, "warn");
  const info = createThrottledLog(logger, "info");
  const report = (outcome: PersistedQueryOutcome) => options.onRegistration?.(outcome);

  const slotKeys = (key: string) => persistedQuerySlotKeys(key, maxEntries);
  // A refused document comes back with its hash on every use (APQ's retry): its verdict is remembered by
  // the hash (Apollo checks that the document matches it before it calls set), not parsed again each time.
  const verdicts = new BoundedLru<boolean>({ maxEntries: SECRET_VERDICTS_KEPT, maxSize: SECRET_VERDICTS_KEPT, sizeOf: () => 1 });
  const carriesSecret = (key: string, document: string): boolean => {
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    const verdict = carriesSecretLiteral(document);
    verdicts.set(key, verdict);
    return verdict;
  };
  const entry = (key: string, document: string) => Buffer.from(`${key}\n${document}`, "utf8");
  /** The slot holding `key` and its stored value, or undefined. */
  const find = async (key: string): Promise<{ slot: string; value: Buffer } | undefined> => {
    const slots = slotKeys(key);
    const values = await Promise.all(slots.map((slot) => store.get(slot)));
    const prefix = Buffer.from(`${key}\n`, "utf8");
    const index = values.findIndex((value) => value !== null && value.subarray(0, prefix.length).equals(prefix));
    return index < 0 ? undefined : { slot: slots[index] as string, value: values[index] as Buffer };
  };

  return {
    async get(key) {
      try {
        const found = await find(key);
        return found?.value.subarray(Buffer.byteLength(key) + 1).toString("utf8");
      } catch (error) {
        warn("read", { err: error }, "persisted queries: the store did not answer a lookup; treated as not found (the client sends the document)");
        return undefined;
      }
    },

    async set(key, document, setOptions) {
      if (Buffer.byteLength(document, "utf8") > maxDocumentBytes) {
        report("too-large");
        info("too-large", { maxDocumentBytes }, "persisted queries: a document over APQ_MAX_DOCUMENT_BYTES was executed but not stored");
        return;
      }
      if (carriesSecret(key, document)) {
        report("carries-secret");
        info("carries-secret", {}, "persisted queries: a document with a grant or token written into it was executed but not stored; send secrets in variables");
        return;
      }
      // Apollo passes its ttl in seconds; never beyond APQ_TTL_SECONDS.
      const ttl = typeof setOptions?.ttl === "number" && setOptions.ttl > 0 ? Math.min(setOptions.ttl, ttlSeconds) : ttlSeconds;
      try {
        // One round trip in the common case (the first slot is free); a taken slot may hold this very document.
        const value = entry(key, document);
        const prefix = Buffer.from(`${key}\n`, "utf8");
        for (const slot of slotKeys(key)) {
          if (await store.setIfAbsent(slot, value, ttl * 1000)) return report("stored");
          if ((await store.get(slot))?.subarray(0, prefix.length).equals(prefix)) return report("already-stored");
        }
        report("budget-full");
        info("budget-full", { maxEntries }, "persisted queries: APQ_MAX_ENTRIES reached; a registration was executed but not stored");
      } catch (error) {
        report("store-failed");
        warn("write", { err: error }, "persisted queries: the store refused a registration; executed but not stored");
      }
    },

    async delete(key) {
      try {
        const found = await find(key);
        return found === undefined ? false : await store.deleteIfEquals(found.slot, found.value);
      } catch (error) {
        warn("delete", { err: error }, "persisted queries: the store did not answer a delete");
        return false;
      }
    },
  };
}

/** The store keys of the slots Apollo's `key` ("apq:<sha256>") may occupy in a table of `maxEntries`. */
export function persistedQuerySlotKeys(key: string, maxEntries: number): string[] {
  const first = createHash("sha256").update(key).digest().readUInt32BE(0) % maxEntries;
  const probes = Math.min(APQ_PROBES, maxEntries);
  return Array.from({ length: probes }, (_, i) => `${APQ_KEY_NAMESPACE}${(first + i) % maxEntries}`);
}

/** Apollo's `persistedQueries` option: our bounded cache, or off (`false`) when APQ_MAX_ENTRIES=0. */
export function persistedQueriesOption(cache: PersistedQueryCache | undefined, limits: PersistedQueryLimits): ApolloServerOptions<BaseContext>["persistedQueries"] {
  if (cache === undefined || limits.maxEntries === 0) return false;
  return { cache, ttl: limits.ttlSeconds };
}

export function getValidPersistedQueryLimits(limits: PersistedQueryLimits): PersistedQueryLimits {
  const { maxEntries, maxDocumentBytes, ttlSeconds } = limits ?? ({} as PersistedQueryLimits);
  const valid = Number.isInteger(maxEntries) && maxEntries >= 1
    && Number.isInteger(maxDocumentBytes) && maxDocumentBytes >= 1
    && Number.isInteger(ttlSeconds) && ttlSeconds >= 1;
  if (!valid) {
    throw new TypeError(
      `createPersistedQueryCache: limits must be { maxEntries >= 1, maxDocumentBytes >= 1, ttlSeconds >= 1 } integers (got ${JSON.stringify(limits)})`,
    );
  }
  return limits;
}
