import { performance } from "node:perf_hooks";

/**
 * A least-recently-used map bounded by its number of entries and their total size, with a time to
 * live per entry. Written here instead of taken from lru-cache: lru-cache 11 publishes every get and
 * set, with its key, its value and the cache itself, on the `lru-cache:metrics` diagnostics channel to
 * any subscriber in the process (an APM agent, an OpenTelemetry instrumentation), and what the
 * gateway keeps in memory is issued tokens, AWS credentials and store records. It does only what the
 * gateway's caches use.
 *
 * Entries form a doubly linked list from the least to the most recently used, indexed by a Map: a
 * read moves its node to the end without touching the Map (a Map used as the queue itself, deleting
 * and re-inserting on every read, left holes that each eviction then walked: ~8 µs a set at 10,000
 * entries). Expired entries are dropped when read (get), evicted in their turn, or replaced; `has`
 * and `peek` never drop one.
 */
export interface BoundedLruOptions<V> {
  maxEntries: number;
  /** Most total size, as `sizeOf` counts it. An entry larger than this on its own is not kept. */
  maxSize: number;
  sizeOf: (value: V, key: string) => number;
  /** Called once for every value that leaves: evicted, deleted, replaced by another value, expired, cleared. */
  dispose?: (value: V, key: string) => void;
  /** A monotonic clock in milliseconds; default performance.now (wall-clock changes never expire entries). */
  now?: () => number;
}

export interface BoundedLruSetOptions {
  /** Milliseconds the entry lives; absent or 0: until evicted. */
  ttlMs?: number;
  /** Replacing a live entry keeps its expiry (a counter in its window). */
  keepTtl?: boolean;
}

interface Entry<V> {
  key: string;
  value: V;
  size: number;
  expiresAt: number;
  older: Entry<V> | undefined;
  newer: Entry<V> | undefined;
}

export class BoundedLru<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #options: Required<Pick<BoundedLruOptions<V>, "maxEntries" | "maxSize" | "sizeOf" | "now">> & Pick<BoundedLruOptions<V>, "dispose">;
  #totalSize = 0;
  /** The least and the most recently used entries: the ends of the list. */
  #oldest: Entry<V> | undefined;
  #newest: Entry<V> | undefined;

  constructor(options: BoundedLruOptions<V>) {
    for (const bound of ["maxEntries", "maxSize"] as const) {
      if (!Number.isSafeInteger(options[bound]) || options[bound] < 1) throw new TypeError(`BoundedLru: ${bound} must be a positive integer (got ${options[bound]})`);
    }
    this.#options = { now: () => performance.now(), ...options };
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  /** The live value, now the most recently used; an expired entry is dropped. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#options.now()) {
      this.#remove(entry);
      return undefined;
    }
    if (entry !== this.#newest) {
      this.#unlink(entry);
      this.#append(entry);
    }
    return entry.value;
  }

  /** The live value, its recency unchanged. */
  peek(key: string): V | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.expiresAt > this.#options.now() ? entry.value : undefined;
  }

  /** Whether a live value is held, its recency unchanged. */
  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Keeps `value` as the most recently used; false when it is larger than maxSize on its own and was not kept. */
  set(key: string, value: V, options: BoundedLruSetOptions = {}): boolean {
    const size = this.#options.sizeOf(value, key);
    // A NaN or negative size would lift the byte bound for good.
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError(`BoundedLru: sizeOf must give a non-negative integer (got ${size})`);
    const previous = this.#entries.get(key);
    const now = this.#options.now();
    const expiresAt = options.keepTtl === true && previous !== undefined && previous.expiresAt > now
      ? previous.expiresAt
      : options.ttlMs !== undefined && options.ttlMs > 0 ? now + options.ttlMs : Number.POSITIVE_INFINITY;
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#unlink(previous);
      this.#totalSize -= previous.size;
      // The same value set again stays (no dispose), unless it is now too large to keep.
      if (previous.value !== value || size > this.#options.maxSize) this.#options.dispose?.(previous.value, key);
    }
    if (size > this.#options.maxSize) return false;
    const entry: Entry<V> = { key, value, size, expiresAt, older: undefined, newer: undefined };
    this.#entries.set(key, entry);
    this.#append(entry);
    this.#totalSize += size;
    while (this.#entries.size > this.#options.maxEntries || this.#totalSize > this.#options.maxSize) {
      this.#remove(this.#oldest as Entry<V>);
    }
    return true;
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#remove(entry);
    return true;
  }

  clear(): void {
    while (this.#oldest !== undefined) this.#remove(this.#oldest);
  }

  #remove(entry: Entry<V>): void {
    this.#entries.delete(entry.key);
    this.#unlink(entry);
    this.#totalSize -= entry.size;
    this.#options.dispose?.(entry.value, entry.key);
  }

  #append(entry: Entry<V>): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry<V>): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
