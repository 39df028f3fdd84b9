import { EventEmitter } from "node:events";
import { BoundedLru } from "./bounded-lru.js";
import { assertBuffer, assertKey, assertPositiveInteger, assertTtl } from "./store-options.js";
import type { MessageHandler, Store, Unsubscribe } from "./store.types.js";

export interface MemoryStoreOptions {
  /** Most entries kept at once; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /** Most bytes (keys + values) kept at once. Default 64 MiB. */
  maxBytes?: number;
}

interface ValidMemoryStoreOptions {
  maxEntries: number;
  maxBytes: number;
}

export function getValidMemoryStoreOptions(options: MemoryStoreOptions = {}): ValidMemoryStoreOptions {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  assertPositiveInteger("createMemoryStore: maxEntries", maxEntries);
  assertPositiveInteger("createMemoryStore: maxBytes", maxBytes);
  return { maxEntries, maxBytes };
}

/**
 * A copy that owns its memory. Buffer.from(buffer) takes a slice of Node's shared 8 KB pool for a small
 * value, and a slice that lives keeps its whole slab alive, with the bytes of every short-lived buffer
 * cut from it beside it: 10,000 entries of ~200 bytes held 2,400 slabs (21 MB) under the bench's load.
 */
function ownCopy(value: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.length);
  value.copy(copy);
  return copy;
}

/**
 * The process-local store: an LRU bounded by entry count and total bytes, honouring TTLs.
 * Every operation is synchronous underneath, so setIfAbsent / deleteIfEquals / extendIfEquals / increment are
 * atomic within the process. Pub/sub delivers on a later tick, like Redis would.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const { maxEntries, maxBytes } = getValidMemoryStoreOptions(options);
  // Grows with its entries (nothing preallocated): a store the gateway never writes costs nothing.
  const cache = new BoundedLru<Buffer>({
    maxEntries,
    maxSize: maxBytes,
    // Count the key too: a flood of distinct small entries must still be bounded in bytes.
    sizeOf: (value, key) => Math.max(1, value.length + Buffer.byteLength(key)),
  });
  const channels = new EventEmitter();
  channels.setMaxListeners(0);
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error("memory store is closed");
  }

  const store: Store = {
    kind: "memory",
    // Every operation runs synchronously when called.
    ordered: true,

    async get(key) {
      assertOpen();
      assertKey("key", key);
      const value = cache.get(key);
      return value === undefined ? null : Buffer.from(value);
    },

    async set(key, value, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("value", value);
      assertTtl(ttlMs);
      cache.set(key, ownCopy(value), { ttlMs });
    },

    async delete(key) {
      assertOpen();
      assertKey("key", key);
      cache.delete(key);
    },

    async setIfAbsent(key, value, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("value", value);
      assertTtl(ttlMs);
      if (cache.has(key)) return false;
      cache.set(key, ownCopy(value), { ttlMs });
      return true;
    },

    async deleteIfEquals(key, expected) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("expected", expected);
      const current = cache.get(key);
      if (current === undefined || !current.equals(expected)) return false;
      cache.delete(key);
      return true;
    },

    async extendIfEquals(key, expected, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("expected", expected);
      assertTtl(ttlMs);
      const current = cache.get(key);
      if (current === undefined || !current.equals(expected)) return false;
      cache.set(key, current, { ttlMs });
      return true;
    },

    async increment(key, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertTtl(ttlMs);
      const current = cache.get(key);
      const count = current === undefined ? 1 : Number.parseInt(current.toString("utf8"), 10) + 1;
      if (!Number.isSafeInteger(count)) throw new Error("value at key is not a counter");
      // Stored as decimal digits, as Redis INCR does. A live window keeps its expiry (keepTtl); one that ended
      // since the read above gets a new one, never none.
      cache.set(key, ownCopy(Buffer.from(String(count))), { ttlMs, keepTtl: true });
      return count;
    },

    async publish(channel, message) {
      assertOpen();
      assertKey("channel", channel);
      assertBuffer("message", message);
      const copy = Buffer.from(message);
      setImmediate(() => channels.emit(channel, copy));
    },

    async subscribe(channel, handler: MessageHandler): Promise<Unsubscribe> {
      assertOpen();
      assertKey("channel", channel);
      const listener = (message: Buffer) => handler(Buffer.from(message));
      channels.on(channel, listener);
      return async () => {
        channels.off(channel, listener);
      };
    },

    async health() {
      return closed
        ? { ok: false, status: "down", detail: "memory store closed" }
        : { ok: true, status: "up", detail: `memory (process-local, ${cache.size} entries)` };
    },

    async close() {
      closed = true;
      cache.clear();
      channels.removeAllListeners();
    },
  };
  return store;
}
