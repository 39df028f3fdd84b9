import { EventEmitter } from "node:events";
import { BoundedLru } from "./bounded-lru.js";
import { assertBuffer, assertKey, assertPositiveInteger, assertTtl } from "./store-options.js";
import type { MessageHandler, Store, Unsubscribe } from "./store.types.js";

export interface MemoryStoreOptions {
  /** Most entries kept at once; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /** Most bytes kept at once: keys, values and each entry's own overhead (memoryStoreEntryBytes). Default 64 MiB. */
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
 * Values up to this many bytes are kept as latin1 strings (one character a byte, lossless for any
 * bytes), on the V8 heap; larger ones as a Buffer of their own, outside it. A small Buffer costs more
 * than its bytes: ~310 bytes of heap for its objects and ~300 outside for its backing store (an entry
 * of 63 + 180 bytes held ~1,180 bytes of RSS as a Buffer, ~860 as a string), and the garbage collector
 * sweeps each one; a string is one heap object it marks without following anything. A large value
 * stays outside the heap, where the image's --max-old-space-size does not bound it (response answers
 * in the refresh grace window, sessions, persisted queries).
 */
export const MEMORY_STORE_STRING_VALUE_MAX_BYTES = 1024;

/**
 * Memory an entry holds besides its key's and value's bytes: the LRU's entry object and its Map slot
 * (with the slots evictions leave until the Map rehashes) and the strings' headers, ~170–250 bytes
 * measured with the garbage collector (test/unit/store/memory-store-heap.test.ts); a value kept as a
 * Buffer adds its objects and its backing store's bookkeeping. Counted so that maxBytes bounds what
 * the store really holds: counting only keys and values, a store of refresh-family nodes (~250 bytes
 * of key and value) held ~2.3 times its bound.
 */
const STRING_ENTRY_OVERHEAD_BYTES = 280;
const BUFFER_ENTRY_OVERHEAD_BYTES = 800;

/** The most memory an entry holds besides its key and value bytes: for sizing a store to hold a number of entries. */
export const MEMORY_STORE_ENTRY_OVERHEAD_BYTES = BUFFER_ENTRY_OVERHEAD_BYTES;

/** What an entry of `key` and a value of `valueBytes` bytes counts against maxBytes (a key's UTF-8 length is at least its string's heap bytes). */
export function memoryStoreEntryBytes(key: string, valueBytes: number): number {
  const overhead = valueBytes <= MEMORY_STORE_STRING_VALUE_MAX_BYTES ? STRING_ENTRY_OVERHEAD_BYTES : BUFFER_ENTRY_OVERHEAD_BYTES;
  return overhead + Buffer.byteLength(key) + valueBytes;
}

type HeldValue = string | Buffer;

/** A copy the store owns: a string, or a Buffer of its own (one cut from Node's shared pool would keep its whole 8 KB slab alive). */
function held(value: Buffer): HeldValue {
  if (value.length <= MEMORY_STORE_STRING_VALUE_MAX_BYTES) return value.toString("latin1");
  const copy = Buffer.allocUnsafeSlow(value.length);
  value.copy(copy);
  return copy;
}

/** A copy for the caller, who may change it. */
const handedOut = (value: HeldValue): Buffer => (typeof value === "string" ? Buffer.from(value, "latin1") : Buffer.from(value));

const sameBytes = (value: HeldValue, expected: Buffer): boolean => (typeof value === "string" ? value.length === expected.length && value === expected.toString("latin1") : value.equals(expected));

/**
 * The process-local store: an LRU bounded by entry count and total bytes, honouring TTLs.
 * Every operation is synchronous underneath, so setIfAbsent / deleteIfEquals / extendIfEquals / increment are
 * atomic within the process. Pub/sub delivers on a later tick, like Redis would.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const { maxEntries, maxBytes } = getValidMemoryStoreOptions(options);
  // Grows with its entries (nothing preallocated): a store the gateway never writes costs nothing.
  const cache = new BoundedLru<HeldValue>({
    maxEntries,
    maxSize: maxBytes,
    // The key and the entry's own overhead too: a flood of distinct small entries must still be bounded in bytes.
    sizeOf: (value, key) => memoryStoreEntryBytes(key, value.length),
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
      return value === undefined ? null : handedOut(value);
    },

    async set(key, value, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("value", value);
      assertTtl(ttlMs);
      cache.set(key, held(value), { ttlMs });
    },

    async delete(key) {
      assertOpen();
      assertKey("key", key);
      cache.delete(key);
    },

    async swap(key, value, ttlMs) {
      assertOpen();
      assertKey("key", key);
      const current = cache.get(key);
      // set runs to its end when called (it awaits nothing): no other operation comes between this read and its write.
      await store.set(key, value, ttlMs);
      return current === undefined ? null : handedOut(current);
    },

    async setIfAbsent(key, value, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("value", value);
      assertTtl(ttlMs);
      if (cache.has(key)) return false;
      cache.set(key, held(value), { ttlMs });
      return true;
    },

    async deleteIfEquals(key, expected) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("expected", expected);
      const current = cache.get(key);
      if (current === undefined || !sameBytes(current, expected)) return false;
      cache.delete(key);
      return true;
    },

    async extendIfEquals(key, expected, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertBuffer("expected", expected);
      assertTtl(ttlMs);
      const current = cache.get(key);
      if (current === undefined || !sameBytes(current, expected)) return false;
      cache.set(key, current, { ttlMs });
      return true;
    },

    async increment(key, ttlMs) {
      assertOpen();
      assertKey("key", key);
      assertTtl(ttlMs);
      const current = cache.get(key);
      const count = current === undefined ? 1 : Number.parseInt(typeof current === "string" ? current : current.toString("latin1"), 10) + 1;
      if (!Number.isSafeInteger(count)) throw new Error("value at key is not a counter");
      // Stored as decimal digits, as Redis INCR does. A live window keeps its expiry (keepTtl); one that ended
      // since the read above gets a new one, never none.
      cache.set(key, String(count), { ttlMs, keepTtl: true });
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
