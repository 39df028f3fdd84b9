import { createMemoryStore } from "./memory-store.js";
import { createOutageWrites, type CarryPolicy, type PendingOutageWrite } from "./outage-writes.js";
import { isStoreUnavailable, type StoreFailureCause } from "./store-errors.js";
import { assertPositiveInteger, describeError } from "./store-options.js";
import { silentStoreLogger, type Store, type StoreHealth, type StoreLogger, type Unsubscribe } from "./store.types.js";

export interface ResilientStoreOptions {
  /** The shared store (Redis). Its StoreUnavailableError rejections trigger the fallback. */
  primary: Store;
  /** Process-local stand-in while the primary is unreachable. Default: a fresh createMemoryStore(). */
  fallback?: Store;
  logger?: StoreLogger;
  /** While degraded, how often the primary is probed (health) to switch back. Default 1000. */
  probeIntervalMs?: number;
  /** Called once per primary operation that failed and was served by the fallback (for /metrics). */
  onFailure?: (cause: StoreFailureCause) => void;
  /**
   * Keys whose writes during an outage are replayed on the primary before the store switches back
   * (outage-writes.ts): a revoked refresh family, a forgotten identity context. Default: none.
   */
  carriedThroughOutage?: (key: string) => CarryPolicy | undefined;
  /** Most keys whose outage writes are remembered for the carry-over. Default 10 000 (the memory store's default entries). */
  carriedMaxEntries?: number;
}

type Mode = { name: "primary" } | { name: "fallback"; since: number; reason: string; cause: StoreFailureCause };

/**
 * Keeps the gateway answering when Redis is not: an operation the primary cannot serve is
 * served by a process-local fallback, and so are all later ones (without touching the dead
 * primary) until a background probe finds the primary healthy again — no restart needed.
 * One line per outage (a warning when Redis is unreachable; an error when it answers but refuses
 * writes, e.g. maxmemory with noeviction: an operator must act), one info line on recovery. While
 * degraded, locks, results and counters are per process: single-flight and caching still work,
 * just not across replicas. The primary's health() writes, so recovery waits until writes succeed.
 *
 * Writes to the keys `carriedThroughOutage` names are replayed on the primary when it answers again
 * (outage-writes.ts): what the outage decided there (a revocation, a removal) holds on every replica
 * afterwards, not only in this process's memory until the switch. Most is replayed before any
 * operation goes back to the primary; what requests wrote during the last pass right after the
 * switch. A carry-over the primary fails keeps the store in fallback, to try again at the next probe.
 *
 * Pub/sub: a subscription listens on both backends (the primary's survives reconnects), and
 * a message is published on whichever backend is active, so no handler receives it twice.
 */
export function createResilientStore(options: ResilientStoreOptions): Store {
  const { primary, logger, probeIntervalMs } = getValidResilientStoreOptions(options);
  const onFailure = options.onFailure ?? (() => {});
  const fallback = options.fallback ?? createMemoryStore();
  let mode: Mode = { name: "primary" };
  let probeTimer: NodeJS.Timeout | undefined;
  let probing = false;
  let closed = false;
  const outageWrites = createOutageWrites({ carries: options.carriedThroughOutage ?? (() => undefined), maxEntries: options.carriedMaxEntries ?? 10_000 });
  /** What this outage's carry-overs replayed and forgot so far (one may take several probes). */
  let carriedSoFar = { carried: 0, forgotten: 0 };

  function enterFallback(reason: string, cause: StoreFailureCause): void {
    if (mode.name === "fallback" || closed) return;
    mode = { name: "fallback", since: Date.now(), reason, cause };
    if (cause === "writes-refused") {
      logger.error({ store: primary.kind, cause, reason }, `store degraded: redis refuses writes, serving from process memory until it accepts them again (${writeRefusalHint(reason)})`);
    } else {
      logger.warn({ store: primary.kind, reason }, "store degraded: redis unreachable, serving from process memory until it answers again");
    }
    probeTimer = setInterval(probe, probeIntervalMs);
    probeTimer.unref();
  }

  async function probe(): Promise<void> {
    if (probing || mode.name !== "fallback") return;
    probing = true;
    try {
      const health = await primary.health();
      if (!health.ok || closed) return;
      const result = await outageWrites.carryOver(primary, fallback);
      carriedSoFar = { carried: carriedSoFar.carried + result.carried, forgotten: carriedSoFar.forgotten + result.forgotten };
      if (mode.name === "fallback" && !closed) {
        // Taken as the switch happens (no await between): what requests wrote to the fallback during the last pass.
        const pending = outageWrites.drain();
        const since = mode.since;
        const cause = mode.cause;
        mode = { name: "primary" };
        clearInterval(probeTimer);
        const late = await replayAfterSwitch(pending);
        const { carried, forgotten } = { carried: carriedSoFar.carried + late, forgotten: carriedSoFar.forgotten };
        carriedSoFar = { carried: 0, forgotten: 0 };
        const fields = { store: primary.kind, outageMs: Date.now() - since, carried, ...(forgotten > 0 ? { forgotten } : {}) };
        logger.info(fields, cause === "writes-refused" ? "store recovered: redis accepts writes again" : "store recovered: redis reachable again");
      }
    } catch (error) {
      // The primary failed again during the carry-over: still degraded; the next probe tries again.
      logger.warn({ store: primary.kind, reason: describeError(error), waiting: outageWrites.size }, "store still degraded: carrying the outage's writes over to redis failed");
    } finally {
      probing = false;
    }
  }

  /**
   * The outage writes handed over at the switch, replayed on the primary unless a request writes the
   * key there first (writeOnPrimary drops it: that write is newer). A replay the primary fails goes
   * back to the list, for the carry-over after the outage that failure starts.
   */
  const handedOver = new Map<string, PendingOutageWrite>();
  async function replayAfterSwitch(pending: PendingOutageWrite[]): Promise<number> {
    for (const entry of pending) handedOver.set(entry[0], entry);
    let replayed = 0;
    try {
      for (const entry of pending) {
        if (handedOver.get(entry[0]) !== entry) continue;
        handedOver.delete(entry[0]);
        try {
          if (await outageWrites.replay(primary, fallback, entry)) replayed += 1;
        } catch (error) {
          // The write being replayed goes back too (a review lost a revocation when Redis dropped again here).
          outageWrites.restore(...entry);
          throw error;
        }
      }
    } catch (error) {
      for (const [key, write] of handedOver.values()) outageWrites.restore(key, write);
      handedOver.clear();
      if (!isStoreUnavailable(error)) throw error;
      onFailure(error.failure);
      enterFallback(unavailableReason(error.message), error.failure);
    }
    return replayed;
  }
  const writeOnPrimary = (key: string) => {
    if (handedOver.size > 0) handedOver.delete(key);
  };

  /** Runs `operation` on the primary unless degraded; falls back on an unavailability error. `served` sees what the fallback answered. */
  async function route<T>(operation: (store: Store) => Promise<T>, served?: (result: T) => void): Promise<T> {
    if (mode.name === "primary") {
      try {
        return await operation(primary);
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        onFailure(error.failure);
        enterFallback(unavailableReason(error.message), error.failure);
      }
    }
    const result = await operation(fallback);
    served?.(result);
    return result;
  }

  /** During an outage, a revocation or a sign-out mark the fallback's LRU evicted is read from the carry-over list, which holds it. */
  async function get(key: string): Promise<Buffer | null> {
    const value = await route((store) => store.get(key));
    return value === null && mode.name === "fallback" ? (outageWrites.held(key) ?? null) : value;
  }

  return {
    kind: primary.kind,
    // Each operation is routed (and sent) when called; the fallback, process memory, is ordered too.
    ordered: primary.ordered,
    get,
    async getKeptThroughOutage(key) {
      const value = await get(key);
      if (value !== null || mode.name !== "fallback" || mode.cause !== "writes-refused") return value;
      // Removed during the outage (a signed-out session's identity context): Redis still holds the value from before.
      if (outageWrites.removed(key)) return null;
      // Redis at maxmemory still reads: what was written before the outage holds during it.
      try {
        return await primary.get(key);
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        return null;
      }
    },
    set: (key, value, ttlMs) => (writeOnPrimary(key), route((store) => store.set(key, value, ttlMs), () => outageWrites.noteSet(key, ttlMs, value))),
    delete: (key) => (writeOnPrimary(key), route((store) => store.delete(key), () => outageWrites.noteDelete(key))),
    swap: (key, value, ttlMs) => (writeOnPrimary(key), route((store) => store.swap(key, value, ttlMs), () => outageWrites.noteSet(key, ttlMs, value))),
    setIfAbsent: (key, value, ttlMs) => route((store) => store.setIfAbsent(key, value, ttlMs), (stored) => stored && outageWrites.noteSet(key, ttlMs, value)),
    // A taken value (a code's kept answer, redeemed once) stays taken on every replica. A lock is released on Redis too once
    // it is back, owner-checked, whether or not the fallback held it: taken there before the outage, or by a SET NX that
    // timed out here (Redis slow) and ran there after all.
    deleteIfEquals: (key, expected) => (writeOnPrimary(key), route((store) => store.deleteIfEquals(key, expected), (deleted) => {
      if (deleted) outageWrites.noteDelete(key);
      outageWrites.noteRelease(key, expected);
    })),
    extendIfEquals: (key, expected, ttlMs) => route((store) => store.extendIfEquals(key, expected, ttlMs), (extended) => extended && outageWrites.noteSet(key, ttlMs, expected)),
    increment: (key, ttlMs) => route((store) => store.increment(key, ttlMs)),
    publish: (channel, message) => route((store) => store.publish(channel, message)),

    async subscribe(channel, handler): Promise<Unsubscribe> {
      const stops: Unsubscribe[] = [await fallback.subscribe(channel, handler)];
      if (mode.name === "primary") {
        try {
          stops.push(await primary.subscribe(channel, handler));
        } catch (error) {
          if (!isStoreUnavailable(error)) throw error;
          onFailure(error.failure);
          enterFallback(unavailableReason(error.message), error.failure);
        }
      }
      return async () => {
        await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
      };
    },

    async health(): Promise<StoreHealth> {
      if (mode.name === "primary") {
        const health = await primary.health();
        if (health.ok) return health;
        const cause: StoreFailureCause = /^redis refuses writes/.test(health.detail) ? "writes-refused" : "unreachable";
        onFailure(cause);
        enterFallback(unavailableReason(health.detail), cause);
      }
      const reason = mode.name === "fallback" ? mode.reason : "closed";
      const what = mode.name === "fallback" && mode.cause === "writes-refused" ? "redis refuses writes" : "redis unreachable";
      return { ok: true, status: "degraded", detail: `degraded: ${what} (${reason}); serving from process memory, not shared with other replicas` };
    },

    async close() {
      closed = true;
      clearInterval(probeTimer);
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}

/**
 * What an operator does about a refusal, by Redis' error prefix. Not always memory: with replicas (Sentinel) a
 * connection left on a demoted primary answers READONLY, and min-replicas-to-write answers NOREPLICAS while too few
 * replicas are in sync; told "free memory or raise maxmemory", an operator looked in the wrong place.
 */
function writeRefusalHint(reason: string): string {
  if (/^READONLY\b/.test(reason)) return "the connection reached a replica: check the Sentinels' primary and the failover";
  if (/^(NOREPLICAS|NOT_ENOUGH_REPLICAS)\b/.test(reason)) return "too few replicas in sync for min-replicas-to-write: check the replicas";
  if (/^MISCONF\b/.test(reason)) return "redis cannot save its snapshot: check its disk and logs";
  return "free memory or raise maxmemory";
}

/** "redis unreachable (connect ECONNREFUSED …)" → "connect ECONNREFUSED …" (same for "redis refuses writes (…)"). */
function unavailableReason(message: string): string {
  return describeError(message).replace(/^redis (?:unreachable|refuses writes) \((.*)\)$/, "$1");
}

function getValidResilientStoreOptions(options: ResilientStoreOptions): { primary: Store; logger: StoreLogger; probeIntervalMs: number } {
  if (typeof options?.primary?.get !== "function") {
    throw new TypeError("createResilientStore: primary must be a Store (e.g. createRedisStore(…))");
  }
  const probeIntervalMs = options.probeIntervalMs ?? 1000;
  assertPositiveInteger("createResilientStore: probeIntervalMs", probeIntervalMs);
  return { primary: options.primary, logger: options.logger ?? silentStoreLogger, probeIntervalMs };
}
