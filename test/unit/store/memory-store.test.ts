import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createMemoryStore, memoryStoreEntryBytes, MEMORY_STORE_STRING_VALUE_MAX_BYTES } from "../../../src/store/memory-store.js";

describe("createMemoryStore", () => {
  it("evicts the least recently used entry beyond maxEntries", async () => {
    const store = createMemoryStore({ maxEntries: 2 });
    await store.set("a", Buffer.from("1"), 5_000);
    await store.set("b", Buffer.from("2"), 5_000);
    await store.get("a"); // a is now more recent than b
    await store.set("c", Buffer.from("3"), 5_000);
    expect(await store.get("a")).toEqual(Buffer.from("1"));
    expect(await store.get("b")).toBeNull();
    expect(await store.get("c")).toEqual(Buffer.from("3"));
  });

  it("keeps the bytes of keys, values and each entry's overhead under maxBytes by evicting old entries", async () => {
    const store = createMemoryStore({ maxBytes: 3 * memoryStoreEntryBytes("k0", 30) + 100 });
    for (let index = 0; index < 10; index += 1) await store.set(`k${index}`, Buffer.alloc(30, index), 5_000);
    const kept = [];
    for (let index = 0; index < 10; index += 1) if (await store.get(`k${index}`)) kept.push(index);
    expect(kept).toEqual([7, 8, 9]); // 3 entries of 30 + 2 bytes and the overhead fit, not 4
  });

  it("hands out copies, so a caller mutating a buffer cannot change what is stored", async () => {
    const store = createMemoryStore();
    const value = Buffer.from("abc");
    await store.set("k", value, 5_000);
    value[0] = 0x7a;
    const read = await store.get("k");
    read![1] = 0x7a;
    expect(await store.get("k")).toEqual(Buffer.from("abc"));
  });

  it("keeps every byte value as it was given, and compares values byte for byte", async () => {
    const store = createMemoryStore();
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
    await store.set("bytes", everyByte, 60_000);
    expect(await store.get("bytes")).toEqual(everyByte);
    const otherHighByte = Buffer.from(everyByte);
    otherHighByte[200] = 201;
    expect(await store.deleteIfEquals("bytes", otherHighByte)).toBe(false);
    expect(await store.extendIfEquals("bytes", Buffer.from(everyByte), 120_000)).toBe(true);
    expect(await store.deleteIfEquals("bytes", Buffer.from(everyByte))).toBe(true);
    expect(await store.get("bytes")).toBeNull();
  });

  it("keeps a value too large for a string (a Buffer of its own) just as exactly, and compares it byte for byte", async () => {
    const store = createMemoryStore();
    const large = Buffer.from(Array.from({ length: MEMORY_STORE_STRING_VALUE_MAX_BYTES * 4 }, (_, index) => index % 256));
    await store.set("large", large, 60_000);
    const read = await store.get("large");
    expect(read).toEqual(large);
    read![0] = 0x7a;
    expect(await store.get("large")).toEqual(large);
    const changed = Buffer.from(large);
    changed[3_000] = 1;
    expect(await store.deleteIfEquals("large", changed)).toBe(false);
    expect(await store.extendIfEquals("large", Buffer.from(large), 120_000)).toBe(true);
    expect(await store.deleteIfEquals("large", Buffer.from(large))).toBe(true);
    expect(await store.get("large")).toBeNull();
  });

  it("counts a value as changed when only its length differs", async () => {
    const store = createMemoryStore();
    await store.set("k", Buffer.from("abc"), 60_000);
    expect(await store.deleteIfEquals("k", Buffer.from("abcd"))).toBe(false);
    expect(await store.deleteIfEquals("k", Buffer.from("ab"))).toBe(false);
    expect(await store.deleteIfEquals("k", Buffer.from("abc"))).toBe(true);
  });

  it("refuses bounds that are not positive integers, restating the contract", () => {
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow("createMemoryStore: maxEntries must be a positive integer (got 0)");
    expect(() => createMemoryStore({ maxBytes: -5 })).toThrow("createMemoryStore: maxBytes must be a positive integer (got -5)");
  });

  it("reports down and refuses work once closed", async () => {
    const store = createMemoryStore();
    await store.close();
    expect(await store.health()).toEqual({ ok: false, status: "down", detail: "memory store closed" });
    await expect(store.get("k")).rejects.toThrow("memory store is closed");
  });
});

describe("createMemoryStore: memory held", () => {
  it("holds what its entries hold: a stored value keeps none of Node's shared buffer pool alive", async () => {
    setFlagsFromString("--expose-gc");
    const collectGarbage = runInNewContext("gc") as () => void;
    const store = createMemoryStore();
    const values = Array.from({ length: 4_000 }, (_, index) => [index, Buffer.from(`value ${index} `.padEnd(100, "v"))] as const);
    collectGarbage();
    const before = process.memoryUsage().arrayBuffers;
    for (const [index, value] of values) {
      // A short-lived buffer cut from the pool between two stores, as a request's own buffers are.
      Buffer.from("request bytes".padEnd(3_000, "r")).toString("latin1");
      await store.set(`k${index}`, value, 60_000);
      await store.setIfAbsent(`n${index}`, value, 60_000);
    }
    collectGarbage();
    const held = process.memoryUsage().arrayBuffers - before;
    // 8,000 values of 100 bytes: 0.8 MB (the worker's own messages add up to ~2 MB of noise). A pooled
    // copy keeps the 8 KB slab of every ~2.5 values alive: ~25 MB.
    expect(held).toBeLessThan(6 * 1024 * 1024);
    expect(await store.get("k3999")).toEqual(values[3_999]![1]);
  });

  it("takes no memory for entries it does not hold: nothing is preallocated for its bound, and reads, deletes and compares on an empty store allocate nothing", async () => {
    setFlagsFromString("--expose-gc");
    const collectGarbage = runInNewContext("gc") as () => void;
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    // Bounds like the refresh families' (150,000) and more.
    const stores = Array.from({ length: 5 }, () => createMemoryStore({ maxEntries: 2_000_000 }));
    for (const store of stores) {
      expect(await store.get("k")).toBeNull();
      await store.delete("k");
      expect(await store.deleteIfEquals("k", Buffer.from("v"))).toBe(false);
      expect(await store.extendIfEquals("k", Buffer.from("v"), 1_000)).toBe(false);
      expect((await store.health()).detail).toBe("memory (process-local, 0 entries)");
    }
    collectGarbage();
    // lru-cache's LRU of 2,000,000 preallocated ~46 MB of heap for its arrays: five, ~230 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
    await stores[0]!.set("k", Buffer.from("v"), 60_000);
    expect(await stores[0]!.get("k")).toEqual(Buffer.from("v"));
    expect((await stores[0]!.health()).detail).toBe("memory (process-local, 1 entries)");
    // Closing a store never written frees nothing and fails nothing.
    await stores[1]!.close();
    expect((await stores[1]!.health()).status).toBe("down");
  });
});
