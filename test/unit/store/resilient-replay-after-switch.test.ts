import { expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import { StoreUnavailableError } from "../../../src/store/store-errors.js";
import type { Store } from "../../../src/store/store.types.js";
import { carriedThroughOutage } from "../../../src/tokens/outage-carried-keys.js";

const revoked = (n: number) => `idc:v1:refresh-family-revoked:family${n}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A revocation written while the carry-over's passes run is replayed right after the switch; when
 * Redis drops again during that replay, it goes back to the list (held for reads meanwhile) and
 * reaches Redis at the next recovery. A review found it dropped: neither on Redis nor carried.
 */
it("keeps a handed-over revocation whose replay meets Redis failing again: read during the new outage, on Redis after it", async () => {
  const redis = createMemoryStore();
  let down = true;
  let onSet: (key: string) => void = () => {};
  const guard = <A extends unknown[], R>(operation: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (down) throw new StoreUnavailableError("test");
    return operation(...args);
  };
  const primary = {
    ...redis,
    kind: "redis",
    get: guard(redis.get),
    delete: guard(redis.delete),
    setIfAbsent: guard(redis.setIfAbsent),
    set: async (key: string, value: Buffer, ttlMs: number) => {
      onSet(key);
      if (down) throw new StoreUnavailableError("test");
      return redis.set(key, value, ttlMs);
    },
    health: async () => (down ? { ok: false, status: "down", detail: "redis unreachable (test)" } : { ok: true, status: "up", detail: "ok" }),
  } as Store;
  const store = createResilientStore({ primary, fallback: createMemoryStore({ maxEntries: 1 }), probeIntervalMs: 20, carriedThroughOutage });
  try {
    await store.set(revoked(1), Buffer.from("revoked"), 60_000);
    let next = 1;
    // Requests keep revoking families while the carry-over runs (one per replayed write); Redis drops again at the switch's replay.
    onSet = (key) => {
      if (key === revoked(4)) down = true;
      else if (key === revoked(next)) void store.set(revoked(++next), Buffer.from("revoked"), 60_000);
    };
    down = false;
    await sleep(200);
    onSet = () => {};
    expect((await store.get(revoked(4)))?.toString()).toBe("revoked");
    down = false;
    await sleep(200);
    expect((await store.health()).status).toBe("up");
    for (const family of [1, 2, 3, 4]) expect((await redis.get(revoked(family)))?.toString()).toBe("revoked");
  } finally {
    await store.close();
  }
});
