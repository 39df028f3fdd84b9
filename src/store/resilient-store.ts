import { createMemoryStore } from "./memory-store.js";
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

  function enterFallback(reason: string, cause: StoreFailureCause): void {
    if (mode.name === "fallback" || closed) return;
    mode = { name: "fallback", since: Date.now(), reason, cause };
    if (cause === "writes-refused") {
      logger.error({ store: primary.kind, cause, reason }, "store degraded: redis refuses writes, serving from process memory until it accepts them again (free memory or raise maxmemory)");
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
      if (health.ok && mode.name === "fallback" && !closed) {
        logger.info({ store: primary.kind, outageMs: Date.now() - mode.since }, mode.cause === "writes-refused" ? "store recovered: redis accepts writes again" : "store recovered: redis reachable again");
        mode = { name: "primary" };
        clearInterval(probeTimer);
      }
    } finally {
      probing = false;
    }
  }

  /** Runs `operation` on the primary unless degraded; falls back on an unavailability error. */
  async function route<T>(operation: (store: Store) => Promise<T>): Promise<T> {
    if (mode.name === "primary") {
      try {
        return await operation(primary);
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        onFailure(error.failure);
        enterFallback(unavailableReason(error.message), error.failure);
      }
    }
    return operation(fallback);
  }

  return {
    kind: primary.kind,
    // Each operation is routed (and sent) when called; the fallback, process memory, is ordered too.
    ordered: primary.ordered,
    get: (key) => route((store) => store.get(key)),
    async getKeptThroughOutage(key) {
      const value = await route((store) => store.get(key));
      if (value !== null || mode.name !== "fallback" || mode.cause !== "writes-refused") return value;
      // Redis at maxmemory still reads: what was written before the outage holds during it.
      try {
        return await primary.get(key);
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        return null;
      }
    },
    set: (key, value, ttlMs) => route((store) => store.set(key, value, ttlMs)),
    delete: (key) => route((store) => store.delete(key)),
    setIfAbsent: (key, value, ttlMs) => route((store) => store.setIfAbsent(key, value, ttlMs)),
    deleteIfEquals: (key, expected) => route((store) => store.deleteIfEquals(key, expected)),
    extendIfEquals: (key, expected, ttlMs) => route((store) => store.extendIfEquals(key, expected, ttlMs)),
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
