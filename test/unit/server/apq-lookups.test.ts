import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createPersistedQueryCache, persistedQueryDocumentKey, persistedQuerySlotSecret } from "../../../src/server/apq-cache.js";
import { createMemoryStore, type Store } from "../../../src/store/index.js";
import { capturingLogger } from "./server-fixtures.js";

/**
 * What a persisted-query lookup costs the store. Slots used to hold the documents and a lookup read
 * all four of a hash's slots whole: once the table was full of 16 KB documents, every hash-only
 * request with a hash nobody registered read ~64 KB from Redis. A lookup now reads one key, the
 * document asked for. Real cache, real memory store, every store call recorded.
 */

const LIMITS = { maxEntries: 64, maxDocumentBytes: 16_384, ttlSeconds: 3600 };
const apolloKey = (text: string) => `apq:${createHash("sha256").update(text).digest("hex")}`;

function recordingStore(): { store: Store; calls: Array<{ method: string; key: string; bytes: number }> } {
  const memory = createMemoryStore();
  const calls: Array<{ method: string; key: string; bytes: number }> = [];
  const store = new Proxy(memory, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        calls.push({ method: String(property), key: String(args[0]), bytes: Buffer.isBuffer(result) ? result.length : 0 });
        return result;
      };
    },
  });
  return { store, calls };
}

describe("persisted-query lookups", () => {
  it("read one key, the document asked for: a hash nobody registered reads nothing else, even with the table full of 16 KB documents", async () => {
    const { store, calls } = recordingStore();
    const cache = createPersistedQueryCache({ store, limits: LIMITS, logger: capturingLogger().logger, slotSecret: persistedQuerySlotSecret(Buffer.alloc(32, 1)) });
    const documents = Array.from({ length: 200 }, (_, n) => `query Q${n} { __typename } # ${"x".repeat(16_000)}`);
    for (const document of documents) await cache.set(apolloKey(document), document);

    calls.length = 0;
    for (let n = 0; n < 50; n += 1) expect(await cache.get(apolloKey(`unregistered ${n}`))).toBeUndefined();
    expect(calls).toHaveLength(50);
    expect(calls.every((call) => call.method === "get" && call.bytes === 0)).toBe(true);

    calls.length = 0;
    const stored = (await Promise.all(documents.map((document) => cache.get(apolloKey(document))))).filter((found) => found !== undefined);
    expect(stored.length).toBeGreaterThan(LIMITS.maxEntries / 2);
    expect(stored.length).toBeLessThanOrEqual(LIMITS.maxEntries);
    expect(calls).toHaveLength(documents.length);
    expect(calls.map((call) => call.key)).toEqual(documents.map((document) => persistedQueryDocumentKey(apolloKey(document))));
  });

  it("never asks the store for a key that cannot be a SHA-256 (a hash-only request's hash is the caller's string)", async () => {
    const { store, calls } = recordingStore();
    const cache = createPersistedQueryCache({ store, limits: LIMITS, logger: capturingLogger().logger });
    for (const hash of ["x".repeat(100_000), "A".repeat(64), "0".repeat(63), "*", "abc:def"]) {
      expect(await cache.get(`apq:${hash}`)).toBeUndefined();
      await cache.set(`apq:${hash}`, "{ __typename }");
    }
    expect(calls).toEqual([]);
  });

  it("keeps at most APQ_MAX_ENTRIES documents in the store, however many slots registrations claim and give back", async () => {
    const { store, calls } = recordingStore();
    const cache = createPersistedQueryCache({ store, limits: { ...LIMITS, maxEntries: 8 }, logger: capturingLogger().logger });
    for (let n = 0; n < 100; n += 1) await cache.set(apolloKey(`doc ${n}`), `{ doc${n} }`);
    const written = new Set(calls.filter((call) => call.method === "set").map((call) => call.key));
    expect(written.size).toBe(8);
  });
});
