import { Cluster } from "ioredis";
import { probeKeysPerMaster } from "./cluster-probe.js";
import { StoreUnavailableError, isStoreUnavailable, isWriteRefusal } from "./store-errors.js";
import { createRedisClient, duplicateRedisClient, isKnownDown, type RedisClient } from "./redis-client.js";
import { parseRedisUrl, describeRedisUrl } from "./redis-url.js";
import { assertBuffer, assertKey, assertPositiveInteger, assertTtl, describeError } from "./store-options.js";
import { silentStoreLogger, type MessageHandler, type Store, type StoreLogger, type Unsubscribe } from "./store.types.js";

export interface RedisStoreOptions {
  /** REDIS_URL: redis://, rediss://, redis+sentinel:// or redis+cluster:// (see redis-url.ts). */
  url: string;
  /** Prepended to every key and channel (isolates tests and deployments sharing one Redis). Default "". */
  keyPrefix?: string;
  logger?: StoreLogger;
  /** A command with no reply after this long rejects (a hung Redis must not hang requests). Default 1000. */
  commandTimeoutMs?: number;
  /** Time allowed for the TCP connect. Default 2000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff grows 50 ms, 100 ms, 200 ms … up to this cap (plus jitter). Default 2000. */
  reconnectMaxDelayMs?: number;
}

export { StoreUnavailableError };

/** Our four Lua scripts, registered with defineCommand (EVALSHA with EVAL fallback). */
interface ScriptCommands {
  /** The Buffer-replying variant ioredis defines with every command (the old value is sealed bytes, not text). */
  idcSwapBuffer(key: string, value: Buffer, ttlMs: number): Promise<Buffer | null>;
  idcDeleteIfEquals(key: string, expected: Buffer): Promise<number>;
  idcIncrementWindow(key: string, ttlMs: number): Promise<number>;
  idcExtendIfEquals(key: string, expected: Buffer, ttlMs: number): Promise<number>;
}

const DELETE_IF_EQUALS_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// A script, not SET … GET: that needs Redis 6.2 (with PX); GET then SET in one script works on every version, and on one key (a Cluster).
const SWAP_LUA = `local old = redis.call('GET', KEYS[1]) redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return old`;
const EXTEND_IF_EQUALS_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
// PTTL < 0 also repairs a counter left without expiry (e.g. written by hand), so no window lives forever.
const INCREMENT_WINDOW_LUA = `local n = redis.call('INCR', KEYS[1]) if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

/** The one key health() writes (no secret in it; it expires by itself); on a Cluster, one per master, tagged onto it. */
const HEALTH_PROBE_KEY = "idc:v1:health-probe";
const HEALTH_PROBE_TTL_MS = 10_000;

/**
 * The Redis backend. Commands fail fast while the connection is known to be down, and are
 * bounded by `commandTimeoutMs` otherwise; in-flight commands are rejected when the socket
 * drops (maxRetriesPerRequest 0) rather than replayed later. ioredis reconnects by itself with
 * backoff. Pub/sub uses a second connection, opened on the first subscribe.
 */
export function createRedisStore(options: RedisStoreOptions): Store {
  const settings = getValidRedisStoreOptions(options);
  const { keyPrefix, logger, commandTimeoutMs } = settings;
  const target = parseRedisUrl(settings.url);
  const description = `redis ${target.mode} ${describeRedisUrl(settings.url)}`;
  const client = createRedisClient(target, settings);
  const scripts = client as unknown as ScriptCommands;
  client.defineCommand("idcDeleteIfEquals", { numberOfKeys: 1, lua: DELETE_IF_EQUALS_LUA });
  client.defineCommand("idcIncrementWindow", { numberOfKeys: 1, lua: INCREMENT_WINDOW_LUA });
  client.defineCommand("idcExtendIfEquals", { numberOfKeys: 1, lua: EXTEND_IF_EQUALS_LUA });
  client.defineCommand("idcSwap", { numberOfKeys: 1, lua: SWAP_LUA });

  let lastError = "not connected yet";
  client.on("error", (error: Error) => {
    lastError = describeError(error);
    logger.debug({ store: description, reason: lastError }, "redis connection error");
  });

  let subscriber: RedisClient | undefined;
  const handlersByChannel = new Map<string, Set<MessageHandler>>();
  const subscribing = new Map<string, Promise<unknown>>();

  function available(client: RedisClient): void {
    if (isKnownDown(client)) throw new StoreUnavailableError(lastError);
  }
  /** Runs a command, turning connection-level failures into StoreUnavailableError. */
  async function command<T>(run: () => Promise<T>): Promise<T> {
    available(client);
    try {
      return await run();
    } catch (error) {
      throw toUnavailable(error);
    }
  }
  function toUnavailable(error: unknown): Error {
    if (/ReplyError/.test((error as Error)?.name ?? "")) {
      // Redis answers but will not write (maxmemory + noeviction, read-only replica): a store failure, not a bad request.
      return isWriteRefusal(describeError(error)) ? new StoreUnavailableError(describeError(error), "writes-refused") : error as Error;
    }
    // A flushed queue says only "max retries" or "Connection is closed": the socket's own error says why.
    const generic = (error as Error)?.name === "MaxRetriesPerRequestError" || /Connection is closed/.test(describeError(error));
    return new StoreUnavailableError(generic && lastError !== "not connected yet" ? lastError : describeError(error));
  }

  function getSubscriber(): RedisClient {
    if (subscriber) return subscriber;
    const created = duplicateRedisClient(client);
    created.on("error", (error: Error) => logger.debug({ store: description, reason: describeError(error) }, "redis subscriber connection error"));
    created.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      handlersByChannel.get(channel.toString("utf8"))?.forEach((handler) => handler(message));
    });
    subscriber = created;
    return created;
  }

  const store: Store = {
    kind: "redis",
    // One connection (commands, and with auto-pipelining whole batches, go out in call order)
    // except on a Cluster, where each node has its own.
    ordered: target.mode !== "cluster",

    async get(key) {
      assertKey("key", key);
      return command(() => client.getBuffer(keyPrefix + key));
    },

    async set(key, value, ttlMs) {
      assertKey("key", key);
      assertBuffer("value", value);
      assertTtl(ttlMs);
      await command(() => client.set(keyPrefix + key, value, "PX", ttlMs));
    },

    async delete(key) {
      assertKey("key", key);
      await command(() => client.del(keyPrefix + key));
    },

    async swap(key, value, ttlMs) {
      assertKey("key", key);
      assertBuffer("value", value);
      assertTtl(ttlMs);
      return command(() => scripts.idcSwapBuffer(keyPrefix + key, value, ttlMs));
    },

    async setIfAbsent(key, value, ttlMs) {
      assertKey("key", key);
      assertBuffer("value", value);
      assertTtl(ttlMs);
      const reply = await command(() => client.set(keyPrefix + key, value, "PX", ttlMs, "NX"));
      return reply === "OK";
    },

    async deleteIfEquals(key, expected) {
      assertKey("key", key);
      assertBuffer("expected", expected);
      return (await command(() => scripts.idcDeleteIfEquals(keyPrefix + key, expected))) === 1;
    },

    async extendIfEquals(key, expected, ttlMs) {
      assertKey("key", key);
      assertBuffer("expected", expected);
      assertTtl(ttlMs);
      return (await command(() => scripts.idcExtendIfEquals(keyPrefix + key, expected, ttlMs))) === 1;
    },

    async increment(key, ttlMs) {
      assertKey("key", key);
      assertTtl(ttlMs);
      return Number(await command(() => scripts.idcIncrementWindow(keyPrefix + key, ttlMs)));
    },

    async publish(channel, message) {
      assertKey("channel", channel);
      assertBuffer("message", message);
      await command(() => client.publish(keyPrefix + channel, message));
    },

    async subscribe(channel, handler): Promise<Unsubscribe> {
      assertKey("channel", channel);
      const full = keyPrefix + channel;
      const connection = getSubscriber();
      available(client);
      let handlers = handlersByChannel.get(full);
      if (!handlers) {
        handlers = new Set();
        handlersByChannel.set(full, handlers);
        // The subscriber connection queues SUBSCRIBE until connected (and resubscribes after a
        // reconnect); bound the wait here so a caller never hangs on it. A connection not ready yet
        // gets its connect time too: a fresh Cluster subscriber must discover the slots and then
        // connect to a node before SUBSCRIBE is even sent, which outlasts one command's timeout.
        const bound = connection.status === "ready" ? commandTimeoutMs : settings.connectTimeoutMs + commandTimeoutMs;
        subscribing.set(full, withTimeout(connection.subscribe(full), bound, "SUBSCRIBE timed out"));
      }
      handlers.add(handler);
      let active = true;
      try {
        await subscribing.get(full);
      } catch (error) {
        await unsubscribe();
        throw toUnavailable(error);
      }
      async function unsubscribe(): Promise<void> {
        if (!active) return;
        active = false;
        const current = handlersByChannel.get(full);
        current?.delete(handler);
        if (current && current.size === 0) {
          handlersByChannel.delete(full);
          subscribing.delete(full);
          await connection.unsubscribe(full).catch(() => undefined);
        }
      }
      return unsubscribe;
    },

    async health() {
      try {
        // A write, not a PING: a Redis that answers but refuses writes (maxmemory with noeviction)
        // cannot keep locks, hand-offs or grace successors, so it is not healthy.
        // On a Cluster, every master: one down is commands refused for a share of the keys (cluster-probe.ts).
        const keys = client instanceof Cluster ? probeKeysPerMaster(client.slots, keyPrefix, HEALTH_PROBE_KEY) : [];
        await Promise.all((keys.length > 0 ? keys : [HEALTH_PROBE_KEY]).map((key) => command(() => client.set(keyPrefix + key, "1", "PX", HEALTH_PROBE_TTL_MS))));
        return { ok: true, status: "up", detail: `${description}: ok` };
      } catch (error) {
        return { ok: false, status: "down", detail: isStoreUnavailable(error) ? describeError(error) : `redis unreachable (${describeError(error)})` };
      }
    },

    async close() {
      handlersByChannel.clear();
      subscriber?.disconnect();
      client.disconnect();
    },
  };
  return store;
}

interface ValidRedisStoreOptions {
  url: string;
  keyPrefix: string;
  logger: StoreLogger;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
}

export function getValidRedisStoreOptions(options: RedisStoreOptions): ValidRedisStoreOptions {
  if (typeof options?.url !== "string" || options.url.length === 0) {
    throw new TypeError(`createRedisStore: url must be a redis:// URL string (got ${typeof options?.url})`);
  }
  parseRedisUrl(options.url);
  const keyPrefix = options.keyPrefix ?? "";
  if (typeof keyPrefix !== "string") throw new TypeError(`createRedisStore: keyPrefix must be a string (got ${typeof keyPrefix})`);
  const valid: ValidRedisStoreOptions = {
    url: options.url,
    keyPrefix,
    logger: options.logger ?? silentStoreLogger,
    commandTimeoutMs: options.commandTimeoutMs ?? 1000,
    connectTimeoutMs: options.connectTimeoutMs ?? 2000,
    reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 2000,
  };
  assertPositiveInteger("createRedisStore: commandTimeoutMs", valid.commandTimeoutMs);
  assertPositiveInteger("createRedisStore: connectTimeoutMs", valid.connectTimeoutMs);
  assertPositiveInteger("createRedisStore: reconnectMaxDelayMs", valid.reconnectMaxDelayMs);
  return valid;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
