/**
 * The one small interface behind which the gateway keeps shared state: memory (one process,
 * the default) or Redis (many processes). It holds exactly what the tokens layer needs —
 * bytes with a TTL, a lock (acquire / owner-checked extension and release), fixed-window counters and a
 * pub/sub hand-off — and nothing more. Keys and channels are opaque strings: derive them
 * with `createKeyspace` (keyspace.ts) so no secret input ever appears in one.
 *
 * Every method may reject (Redis down, command timeout); `createResilientStore` turns those
 * rejections into a process-local fallback.
 */
export interface Store {
  readonly kind: StoreKind;
  /**
   * True when operations take effect in the order they are called, even when a caller does not
   * await one before calling the next: each is sent before its call returns (one connection to one
   * server: memory, standalone Redis, a Sentinel-managed primary). False on a Cluster, where keys
   * live on different nodes. Callers that depend on an order (a result stored before its lock is
   * released) may then send dependent operations in one round trip instead of one after another.
   */
  readonly ordered: boolean;

  /** The value stored under `key`, or null when absent or expired. */
  get(key: string): Promise<Buffer | null>;
  /**
   * As get, and when the store serves from a stand-in while its shared backend refuses writes (Redis
   * at maxmemory), a value absent there is read from the shared backend, which still answers reads:
   * for records written before the outage that must still hold during it (a revoked refresh family).
   * Absent: get is all there is.
   */
  getKeptThroughOutage?(key: string): Promise<Buffer | null>;
  /** Stores `value` under `key` for `ttlMs` milliseconds (replacing any value and TTL). */
  set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  /** Removes `key` (no error when absent). */
  delete(key: string): Promise<void>;

  /**
   * Stores `value` under `key` for `ttlMs` (as set) and answers what it replaced (null when absent), in one
   * step: of several callers replacing one key at once, each sees a different value, so each knows what it alone removed.
   * Only on a store that is up: the resilient store in an outage answers what this process's fallback held (other
   * replicas' writes unseen) and replays a plain set on recovery. Its one user, the session slots, runs on a store
   * that fails instead (session-backing-store.ts).
   */
  swap(key: string, value: Buffer, ttlMs: number): Promise<Buffer | null>;
  /** Stores `value` only if `key` is absent. True when this call stored it (lock acquired). */
  setIfAbsent(key: string, value: Buffer, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only if it currently holds exactly `expected` (owner-checked lock release). */
  deleteIfEquals(key: string, expected: Buffer): Promise<boolean>;
  /** Resets `key`'s TTL to `ttlMs` only if it currently holds exactly `expected` (owner-checked lock extension). True when extended. */
  extendIfEquals(key: string, expected: Buffer, ttlMs: number): Promise<boolean>;

  /**
   * Adds 1 to the counter at `key` and returns the new count. The first increment starts a
   * window of `ttlMs`; later increments keep that window's expiry (fixed-window rate counters).
   */
  increment(key: string, ttlMs: number): Promise<number>;

  /** Delivers `message` to every current subscriber of `channel` (in any process sharing the store). */
  publish(channel: string, message: Buffer): Promise<void>;
  /** Calls `handler` for each message published on `channel`; resolves once subscribed. Returns the unsubscribe function. */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  /** Never rejects: reports whether the store can serve, for readiness endpoints and logs. */
  health(): Promise<StoreHealth>;
  /** Releases connections and timers. The store must not be used afterwards. */
  close(): Promise<void>;
}

export type StoreKind = "memory" | "redis";

export type MessageHandler = (message: Buffer) => void;
export type Unsubscribe = () => Promise<void>;

/**
 * `up`: serving from its own backend. `degraded`: serving, but from a process-local fallback
 * (state is not shared with other replicas). `down`: cannot serve.
 */
export type StoreHealthStatus = "up" | "degraded" | "down";

export interface StoreHealth {
  /** True when the store can serve requests (status up or degraded). */
  ok: boolean;
  status: StoreHealthStatus;
  /** One human line, e.g. `degraded: redis unreachable (connect ECONNREFUSED 127.0.0.1:6390)`. Never a secret. */
  detail: string;
}

/** The logging calls the store layer makes; a pino Logger satisfies it. */
export interface StoreLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything: the default when none is given. */
export const silentStoreLogger: StoreLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
