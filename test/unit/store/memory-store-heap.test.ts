import { describe, expect, it } from "vitest";
import { createMemoryStore, memoryStoreEntryBytes, MEMORY_STORE_STRING_VALUE_MAX_BYTES } from "../../../src/store/memory-store.js";
import { collectedHeapUsed, collectedMemoryUsed } from "../../support/collected-heap.js";

/**
 * A memory store's maxBytes bounds the memory its entries really hold (memory-store.ts,
 * memoryStoreEntryBytes), measured here with the garbage collector for the shapes the gateway
 * stores: rate counters, refresh-family nodes and identity-context records (strings on the heap),
 * answers and persisted queries (Buffers, their bytes outside it). Counting only keys and values, a
 * store of family nodes held ~2.3 times its bound.
 */

const HEAP_NOISE_BYTES = 256 * 1024;

const digest = (i: number): string => String(i).padStart(43, "x");
const SHAPES: ReadonlyArray<[string, number, (i: number) => [string, Buffer]]> = [
  ["a counter", 100_000, (i) => [`rl:${i}`, Buffer.from("1")]],
  ["a refresh-family node", 50_000, (i) => [`idc:v1:refresh-node:${digest(i)}`, Buffer.alloc(180, i)]],
  ["an identity-context record", 50_000, (i) => [`idc:v1:identity-context:${digest(i)}`, Buffer.alloc(90, i)]],
  ["a value just past the strings' limit", 20_000, (i) => [`idc:v1:refresh-grace:${digest(i)}`, Buffer.alloc(MEMORY_STORE_STRING_VALUE_MAX_BYTES + 1, i)]],
  ["an answer in the refresh grace window", 10_000, (i) => [`idc:v1:token-cache:${digest(i)}`, Buffer.alloc(2_500, i)]],
  ["a persisted query", 3_000, (i) => [`apq:slot:${i}`, Buffer.alloc(16_400, i)]],
];

describe("memoryStoreEntryBytes", () => {
  it.each(SHAPES)("covers the memory an entry holds in the store (heap and Buffers): %s", async (_label, count, make) => {
    const store = createMemoryStore({ maxEntries: 10_000_000, maxBytes: 2 ** 40 });
    let estimated = 0;
    const before = collectedMemoryUsed();
    for (let i = 0; i < count; i++) {
      const [key, value] = make(i);
      estimated += memoryStoreEntryBytes(key, value.length);
      await store.set(key, value, 3_600_000);
    }
    const measured = collectedMemoryUsed() - before;
    expect((await store.health()).detail).toBe(`memory (process-local, ${count} entries)`);
    // The heap moves by up to ~0.2 MB between two collections in a test worker (its own messages): that much is noise.
    expect(estimated).toBeGreaterThanOrEqual(measured - HEAP_NOISE_BYTES);
    // And not so far above it that a bound would keep a fraction of what it could.
    expect(estimated).toBeLessThan(2 * measured);
  });

  it("keeps a full store's heap under its maxBytes, the least recently used leaving first", async () => {
    const maxBytes = 16 * 1024 * 1024;
    const store = createMemoryStore({ maxEntries: 10_000_000, maxBytes });
    const [, , node] = SHAPES[1]!;
    const before = collectedHeapUsed();
    // Three times what fits.
    const written = Math.ceil((3 * maxBytes) / 400);
    for (let i = 0; i < written; i++) {
      const [key, value] = node(i);
      await store.set(key, value, 3_600_000);
    }
    const held = collectedHeapUsed() - before;
    expect(held).toBeLessThanOrEqual(maxBytes);
    // Most of the bound is used: the bound is not so generous that it keeps a fraction.
    expect(held).toBeGreaterThan(0.6 * maxBytes);
    const [lastKey, lastValue] = node(written - 1);
    expect(await store.get(lastKey)).toEqual(lastValue);
    expect(await store.get(node(0)[0])).toBeNull();
  });
});
