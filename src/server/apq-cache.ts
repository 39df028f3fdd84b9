import { createHash, createHmac, hkdfSync } from "node:crypto";
import type { ApolloServerOptions, BaseContext } from "@apollo/server";
import type { PersistedQueryLimits } from "../config/config.types.js";
import { isGatewayError } from "../errors/error-codes.js";
import type { RateLimit } from "../ratelimit/index.js";
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
 * - a fixed table of APQ_MAX_ENTRIES slots: a document claims one of APQ_PROBES slots derived from
 *   its hash under a key from GATEWAY_SECRET (so no caller can aim at another's slots) with
 *   setIfAbsent, then is written under its own key with the slot's lifetime. That bound is exact and
 *   atomic across replicas without a counter (per layout: replicas placing documents differently have
 *   tables of their own, persistedQuerySlotNamespace): at most maxEntries documents of at most
 *   maxDocumentBytes each exist, so the budget in bytes is maxEntries × (maxDocumentBytes +
 *   APQ_ENTRY_OVERHEAD_BYTES). A lookup reads only the document asked for (one small miss for an
 *   unknown hash): slots are read by registrations alone. (Slots used to hold the documents, and a
 *   lookup read all four whole: up to 64 KB from Redis for a hash nobody registered.);
 * - one caller adds at most APQ_MAX_ENTRIES_PER_CALLER documents per APQ_TTL_SECONDS (callerBudget):
 *   without it, one address filled the whole table in 43 s and held it for a day (others' clients then
 *   send every document twice). A document is charged once its slot is claimed, and the slot is given
 *   back when the charge is refused, so concurrent registrations cannot overshoot; a caller refused
 *   moments ago is refused again from memory, before any store command;
 * - a registration that does not fit (document too large, its slots taken, its caller past its share)
 *   is executed but not stored: the client keeps sending the document with the hash, as APQ allows;
 * - a store failure never fails a request: a failed read is a miss (the client sends the
 *   document), a failed write is not stored; both are logged at warn, at most once a minute.
 *
 * The hash is not a secret. Variables, where grants travel, are never stored here; a document with a
 * grant or token written into it as a literal is executed but not stored (document-secrets.ts).
 */
export const APQ_KEY_NAMESPACE = "idc:v1:persisted-query:";
/** The table's slots, `…slot:<layout>:<n>`: each holds the Apollo key of the document that claimed it. */
export const APQ_SLOT_NAMESPACE = `${APQ_KEY_NAMESPACE}slot:`;
/** The documents, `…doc:<sha256>`: a lookup reads its own document and nothing else. */
export const APQ_DOCUMENT_NAMESPACE = `${APQ_KEY_NAMESPACE}doc:`;

/** Apollo's keys: its prefix and a SHA-256 in lowercase hex (a lookup's hash is the caller's string until it matches one). */
const APOLLO_KEY_PREFIX = "apq:";
const APOLLO_KEY = /^apq:[0-9a-f]{64}$/;

/** Documents whose carries-a-secret verdict is remembered by hash (~100 bytes each). */
const SECRET_VERDICTS_KEPT = 1000;

/** Slots one document may occupy: enough that collisions rarely refuse one below ~50 % load, few enough to read in one round trip. */
export const APQ_PROBES = 4;

/** A stored document's bytes beside the document itself: its key's name (~90), its slot's name (~35) and value (Apollo's key, 68). */
export const APQ_ENTRY_OVERHEAD_BYTES = 256;

/** Apollo's KeyValueCache<string> contract, stated here so we need not depend on @apollo/utils.keyvaluecache. */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

export type PersistedQueryOutcome = "stored" | "already-stored" | "too-large" | "carries-secret" | "budget-full" | "caller-over-budget" | "unattributed" | "store-failed";

export interface PersistedQueryCacheOptions {
  store: Store;
  limits: PersistedQueryLimits;
  logger: StoreLogger;
  /**
   * APQ_MAX_ENTRIES_PER_CALLER: whose request registers a key now (apq-registrants.ts) and the
   * per-caller limit that each stored document spends. Absent: no per-caller bound.
   */
  callerBudget?: { registrantsOf(key: string): readonly string[]; limit: RateLimit };
  /** Places documents in the table (persistedQuerySlotSecret of GATEWAY_SECRET). Absent: positions anyone can compute (tests only). */
  slotSecret?: Buffer;
  /** Told what became of each registration (metrics, tests). */
  onRegistration?: (outcome: PersistedQueryOutcome) => void;
}

export function createPersistedQueryCache(options: PersistedQueryCacheOptions): PersistedQueryCache {
  const { store, limits, logger } = options;
  const { maxEntries, maxDocumentBytes, ttlSeconds } = getValidPersistedQueryLimits(limits);
  const warn = createThrottledLog(logger, "warn");
  const info = createThrottledLog(logger, "info");
  const report = (outcome: PersistedQueryOutcome) => options.onRegistration?.(outcome);

  // The layout's namespace once (an HMAC), not per registration.
  const slotNamespace = persistedQuerySlotNamespace(maxEntries, options.slotSecret);
  const slotKeys = (key: string) => slotKeysIn(slotNamespace, key, maxEntries, options.slotSecret);
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
  const { callerBudget } = options;
  /** Charges one stored document to `caller`: false when it is past its share (the refusal is remembered: refusedNow). */
  const charge = async (limit: RateLimit, caller: string): Promise<boolean> => {
    try {
      await limit.consume(caller);
      return true;
    } catch (error) {
      if (isGatewayError(error) && error.code === "RATE_LIMITED") return false;
      throw error;
    }
  };
  /** Charges the document to the first of `callers` with share left (several may be registering one hash at once). */
  const chargeAny = async (limit: RateLimit, callers: readonly string[]): Promise<boolean> => {
    // Every one is tried: a caller past its share is refused once and then remembered (refusedNow), so
    // however many of them send the hash, they cannot crowd out the one that can pay.
    for (const caller of callers) if (await charge(limit, caller)) return true;
    return false;
  };
  const overCallerBudget = () => {
    report("caller-over-budget");
    info("caller-over-budget", {}, "persisted queries: a caller past APQ_MAX_ENTRIES_PER_CALLER registered a document; executed but not stored");
  };
  /** Claims `slot` for `held` (Apollo's key): "claimed", "ours" (it already holds `held`) or "taken". */
  const claim = async (slot: string, held: Buffer, ttlMs: number): Promise<"claimed" | "ours" | "taken"> => {
    if (await store.setIfAbsent(slot, held, ttlMs)) return "claimed";
    return (await store.get(slot))?.equals(held) ? "ours" : "taken";
  };

  /** The slot holding `key`, or undefined (slots hold Apollo's key; registrations and deletes read them, lookups never do). */
  const findSlot = async (key: string, held: Buffer): Promise<string | undefined> => {
    const slots = slotKeys(key);
    const values = await Promise.all(slots.map((slot) => store.get(slot)));
    return slots[values.findIndex((value) => value !== null && value.equals(held))];
  };

  return {
    async get(key) {
      // Only a SHA-256 can have been stored (Apollo checks a registration's hash): any other key the caller sent is not looked up.
      if (!APOLLO_KEY.test(key)) return undefined;
      try {
        // One read of the document itself: a miss reads nothing, whatever the table holds.
        return (await store.get(persistedQueryDocumentKey(key)))?.toString("utf8");
      } catch (error) {
        warn("read", { err: error }, "persisted queries: the store did not answer a lookup; treated as not found (the client sends the document)");
        return undefined;
      }
    },

    async set(key, document, setOptions) {
      // Read before any await: Apollo calls set() while the registering request is still in flight.
      const registrants = callerBudget?.registrantsOf(key) ?? [];
      if (!APOLLO_KEY.test(key)) return;
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
      // Callers refused moments ago cost no store command; a registration no request was seen making is not stored.
      const payers = callerBudget === undefined ? [] : registrants.filter((caller) => callerBudget.limit.refusedNow?.(caller) === undefined);
      if (callerBudget !== undefined && registrants.length === 0) {
        report("unattributed");
        info("unattributed", {}, "persisted queries: a registration no request was seen making was executed but not stored");
        return;
      }
      if (callerBudget !== undefined && payers.length === 0) return overCallerBudget();
      // Apollo passes its ttl in seconds; never beyond APQ_TTL_SECONDS.
      const ttlMs = (typeof setOptions?.ttl === "number" && setOptions.ttl > 0 ? Math.min(setOptions.ttl, ttlSeconds) : ttlSeconds) * 1000;
      const held = Buffer.from(key, "utf8");
      try {
        // One round trip to claim in the common case (the first slot is free); a taken slot may hold this very document.
        for (const slot of slotKeys(key)) {
          const claimed = await claim(slot, held, ttlMs);
          if (claimed === "ours") {
            // Its client registers because a lookup missed: the document may be gone while its slot stays
            // (evicted under maxmemory, deleted, or cut short by a layout with a shorter APQ_TTL_SECONDS), and
            // "already stored" alone left it missing for the slot's whole life. Written back only if absent: no charge, no new slot.
            await store.setIfAbsent(persistedQueryDocumentKey(key), Buffer.from(document, "utf8"), ttlMs);
            return report("already-stored");
          }
          if (claimed === "claimed") {
            // Charged once the slot is held: concurrent registrations of one caller each claim, and those past its share give the slot back.
            if (callerBudget !== undefined && !(await chargeAny(callerBudget.limit, payers))) {
              await store.deleteIfEquals(slot, held);
              return overCallerBudget();
            }
            // The document under its own key, with its slot's lifetime: written only after a claim, so documents never outnumber slots.
            await store.set(persistedQueryDocumentKey(key), Buffer.from(document, "utf8"), ttlMs).catch(async (error: unknown) => {
              await store.deleteIfEquals(slot, held).catch(() => false);
              throw error;
            });
            return report("stored");
          }
        }
        report("budget-full");
        info("budget-full", { maxEntries }, "persisted queries: APQ_MAX_ENTRIES reached; a registration was executed but not stored");
      } catch (error) {
        report("store-failed");
        warn("write", { err: error }, "persisted queries: the store refused a registration; executed but not stored");
      }
    },

    async delete(key) {
      if (!APOLLO_KEY.test(key)) return false;
      try {
        const held = Buffer.from(key, "utf8");
        const slot = await findSlot(key, held);
        if (slot === undefined) return false;
        await store.delete(persistedQueryDocumentKey(key));
        return await store.deleteIfEquals(slot, held);
      } catch (error) {
        warn("delete", { err: error }, "persisted queries: the store did not answer a delete");
        return false;
      }
    },
  };
}

/** The store key of the document Apollo's `key` ("apq:<sha256>") names. */
export function persistedQueryDocumentKey(key: string): string {
  return `${APQ_DOCUMENT_NAMESPACE}${key.slice(APOLLO_KEY_PREFIX.length)}`;
}

/**
 * The key that places documents in the table, derived from GATEWAY_SECRET (shared by every replica).
 * Placed by a public function of the hash, a document's slots were known to everyone: a caller could
 * find (offline, ~APQ_MAX_ENTRIES tries each) four documents of its own that take exactly the slots of
 * an app's operation, register them, and keep that operation out of the table for good (its clients
 * then send it twice, every time) at four registrations a day.
 */
export function persistedQuerySlotSecret(gatewaySecret: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", gatewaySecret, "idc-token-gateway/persisted-query-slots/v1", "idc:v1:persisted-query-slots:hmac-sha256", 32));
}

/**
 * The store keys of the slots Apollo's `key` ("apq:<sha256>") may occupy in a table of `maxEntries`,
 * placed under `slotSecret` (persistedQuerySlotSecret); without one, where anyone can compute them.
 */
export function persistedQuerySlotKeys(key: string, maxEntries: number, slotSecret?: Buffer): string[] {
  return slotKeysIn(persistedQuerySlotNamespace(maxEntries, slotSecret), key, maxEntries, slotSecret);
}

function slotKeysIn(namespace: string, key: string, maxEntries: number, slotSecret: Buffer | undefined): string[] {
  const digest = slotSecret === undefined ? createHash("sha256").update(key).digest() : createHmac("sha256", slotSecret).update(key).digest();
  const first = digest.readUInt32BE(0) % maxEntries;
  const probes = Math.min(APQ_PROBES, maxEntries);
  return Array.from({ length: probes }, (_, i) => `${namespace}${(first + i) % maxEntries}`);
}

/**
 * Where one layout of the table (its placement key and its size) keeps its slots: `…slot:<layout>:`.
 * Replicas that place documents differently (GATEWAY_SECRET rotated, APQ_MAX_ENTRIES changed, a
 * rolling deploy between the two) each use a table of their own and never read the other's slots: a
 * rotation once left the table full of slots no registration could reach for a day, and reclaiming
 * them made two live layouts evict each other's documents back and forth (two attacker reviews).
 * The documents are shared (keyed by their hash), so each layout still serves what the other stored.
 */
export function persistedQuerySlotNamespace(maxEntries: number, slotSecret?: Buffer): string {
  const label = `layout:${maxEntries}`;
  const layout = (slotSecret === undefined ? createHash("sha256").update(label) : createHmac("sha256", slotSecret).update(label)).digest("hex").slice(0, 8);
  return `${APQ_SLOT_NAMESPACE}${layout}:`;
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
