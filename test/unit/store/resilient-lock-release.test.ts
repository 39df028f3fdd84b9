import { expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import { StoreUnavailableError } from "../../../src/store/store-errors.js";
import type { Store } from "../../../src/store/store.types.js";
import { carriedThroughOutage } from "../../../src/tokens/outage-carried-keys.js";

const LOCK = "idc:v1:sf-lock:flight";
const OTHER = "idc:v1:sf-lock:another-flight";

/**
 * A flight's lock the fallback served the release of is released on Redis too once it is back
 * (owner-checked): a lock taken there before the outage, or by a SET NX that timed out here (Redis
 * slow) and ran there after all, otherwise kept every other replica's identical call waiting for its
 * whole TTL. A lock taken during the outage is never written to Redis, nor another owner's removed.
 */
it("releases on Redis, once back, the locks released during the outage, owner-checked, and writes none taken during it", async () => {
  const redis = createMemoryStore();
  let down = false;
  const guard = <A extends unknown[], R>(operation: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (down) throw new StoreUnavailableError("test");
    return operation(...args);
  };
  const primary = {
    ...redis,
    kind: "redis",
    get: guard(redis.get),
    set: guard(redis.set),
    delete: guard(redis.delete),
    deleteIfEquals: guard(redis.deleteIfEquals),
    extendIfEquals: guard(redis.extendIfEquals),
    // Redis slow: the SET NX runs there, but its answer comes too late (a command timeout).
    setIfAbsent: async (key: string, value: Buffer, ttlMs: number) => {
      if (key === LOCK && value.toString() === "timed-out") {
        await redis.setIfAbsent(key, value, ttlMs);
        down = true;
        throw new StoreUnavailableError("command timed out");
      }
      return guard(redis.setIfAbsent)(key, value, ttlMs);
    },
    health: async () => (down ? { ok: false, status: "down", detail: "redis unreachable (test)" } : { ok: true, status: "up", detail: "ok" }),
  } as Store;
  const store = createResilientStore({ primary, fallback: createMemoryStore(), probeIntervalMs: 10, carriedThroughOutage });
  try {
    // Taken on Redis before the outage; another replica's lock there too.
    expect(await store.setIfAbsent(`${LOCK}-before`, Buffer.from("mine"), 60_000)).toBe(true);
    await redis.set(`${OTHER}-theirs`, Buffer.from("theirs"), 60_000);
    // Timed out (taken on Redis after all), then served by the fallback: the store is degraded from here.
    expect(await store.setIfAbsent(LOCK, Buffer.from("timed-out"), 60_000)).toBe(true);
    // Taken during the outage, in process memory only.
    expect(await store.setIfAbsent(`${OTHER}-during`, Buffer.from("mine"), 60_000)).toBe(true);
    expect(await store.deleteIfEquals(`${LOCK}-before`, Buffer.from("mine"))).toBe(false);
    expect(await store.deleteIfEquals(LOCK, Buffer.from("timed-out"))).toBe(true);
    await store.deleteIfEquals(`${OTHER}-theirs`, Buffer.from("mine"));
    down = false;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await store.health()).status).toBe("up");
    expect(await redis.get(`${LOCK}-before`)).toBeNull();
    expect(await redis.get(LOCK)).toBeNull();
    expect((await redis.get(`${OTHER}-theirs`))?.toString()).toBe("theirs");
    expect(await redis.get(`${OTHER}-during`)).toBeNull();
  } finally {
    await store.close();
  }
});
