import { afterAll } from "vitest";
import { createRedisStore } from "../../../src/store/redis-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { deleteKeysWithPrefix, rawRedis, SHARED_REDIS_URL, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";

/**
 * Stores on the shared Redis (what replicas use) under one key prefix per test file; every store
 * is closed and every key deleted after the file. Call at the top level of a test file.
 */
export function sharedRedisStores(label: string): () => Store {
  const keyPrefix = uniqueKeyPrefix(label);
  const opened: Store[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    if (opened.length === 0) return;
    const raw = rawRedis();
    await deleteKeysWithPrefix(raw, keyPrefix);
    raw.disconnect();
  });
  return () => {
    const store = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix });
    opened.push(store);
    return store;
  };
}
