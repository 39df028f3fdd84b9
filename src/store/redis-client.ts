import { Cluster, Redis, type RedisOptions } from "ioredis";
import { parseRedisUrl, type RedisTarget } from "./redis-url.js";
import { followSentinelSwitches } from "./sentinel-switches.js";

/** Sentinel-managed connections and how they were made: their duplicates follow the Sentinels' announcements too. */
const followed = new WeakMap<Redis, { target: Extract<RedisTarget, { mode: "sentinel" }>; backoff: (times: number) => number }>();

/** A connection to any REDIS_URL topology: one server, a Sentinel-managed primary, or a Cluster. */
export type RedisClient = Redis | Cluster;

// ioredis' states in which the connection is down and no attempt to make it is under way.
const KNOWN_DOWN_STATUSES = new Set(["reconnecting", "close", "end", "disconnecting"]);

/**
 * Sentinel-managed connections whose last attempt found no Sentinel answering, until one reaches a primary. ioredis
 * goes round the Sentinels again and again within one attempt, "connecting" all along (never "reconnecting"): each
 * command waited the command timeout in its offline queue, every rate-limited request half a second per limiter,
 * where with one Redis down it is answered at once (test/unit/ratelimit/rate-limiter-backend.test.ts).
 */
const sentinelsUnreachable = new WeakSet<Redis>();

/** Whether the connection is known down right now: its callers fail fast (or answer another way) instead of queueing. */
export function isKnownDown(client: RedisClient): boolean {
  return KNOWN_DOWN_STATUSES.has(client.status) || (client.status === "connecting" && client instanceof Redis && sentinelsUnreachable.has(client));
}

function noteUnreachableSentinels(client: Redis): void {
  client.on("error", (error: Error) => {
    if (/^All sentinels are unreachable/.test(error.message)) sentinelsUnreachable.add(client);
  });
  // A primary reached (its address came from a Sentinel).
  client.on("connect", () => sentinelsUnreachable.delete(client));
}

export interface RedisClientOptions {
  /** A command with no reply after this long rejects. */
  commandTimeoutMs: number;
  /** Time allowed for each TCP connect. */
  connectTimeoutMs: number;
  /** Reconnect backoff grows 50 ms, 100 ms, 200 ms … up to this cap (plus jitter). */
  reconnectMaxDelayMs: number;
}

/**
 * The one place REDIS_URL becomes an ioredis client, shared by the store and the rate limiter so
 * both reach the same topology the same way. Commands queue only while (re)connecting and are
 * never replayed after a dropped socket (maxRetriesPerRequest 0): callers fall back instead.
 */
export function createRedisClient(urlOrTarget: string | RedisTarget, options: RedisClientOptions): RedisClient {
  const target = typeof urlOrTarget === "string" ? parseRedisUrl(urlOrTarget) : urlOrTarget;
  const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 16), options.reconnectMaxDelayMs) + Math.floor(Math.random() * 50);
  const common: RedisOptions = {
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: backoff,
  };
  switch (target.mode) {
    case "standalone":
      return new Redis(target.url, common);
    case "sentinel": {
      const client = new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.masterName,
        ...(target.username ? { username: target.username, sentinelUsername: target.username } : {}),
        ...(target.password ? { password: target.password, sentinelPassword: target.password } : {}),
        ...(target.db !== undefined ? { db: target.db } : {}),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        sentinelRetryStrategy: backoff,
      });
      // On the primary the Sentinels announce, not the one they are about to demote (sentinel-switches.ts).
      followSentinelSwitches(client, target, backoff);
      noteUnreachableSentinels(client);
      followed.set(client, { target, backoff });
      return client;
    }
    case "cluster": {
      const cluster = new Cluster(target.nodes, {
        enableOfflineQueue: true,
        clusterRetryStrategy: backoff,
        // Never re-sent once its node's connection closed: it may have run (see notResentAfterClose).
        retryDelayOnFailover: 0,
        redisOptions: {
          ...common,
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.tls ? { tls: {} } : {}),
        },
      });
      paceSubscriberReselection(cluster);
      boundClusterCommands(cluster, options.commandTimeoutMs);
      notResentAfterClose(cluster);
      return cluster;
    }
  }
}

/** A second connection to the same topology with the same options (a pub/sub subscriber), paced (a Cluster) or following the Sentinels (sentinel-switches.ts) as createRedisClient's own. */
export function duplicateRedisClient(client: RedisClient): RedisClient {
  if (!(client instanceof Cluster)) {
    const duplicate = client.duplicate();
    const sentinel = followed.get(client);
    if (sentinel !== undefined) {
      followSentinelSwitches(duplicate, sentinel.target, sentinel.backoff);
      noteUnreachableSentinels(duplicate);
      followed.set(duplicate, sentinel);
    }
    return duplicate;
  }
  const duplicate = client.duplicate();
  paceSubscriberReselection(duplicate);
  return duplicate;
}

/**
 * ioredis' commandTimeout starts when a node's connection takes a command. A Cluster with no node to send it to
 * (still connecting, or every node down and its reconnect looping) keeps the command in an offline queue of its
 * own that only a successful connect or a final give-up empties: no timeout at all. A gateway on an unreachable
 * cluster answered no request (the rate limiter's INCR waited forever, and so did the store's commands while the
 * cluster was "connecting"), though /readyz said it served from process memory. Each command the Cluster is
 * given now gets the same timeout from the moment it is issued (Command.setTimeout, public: the first call
 * sets it, so a node's own commandTimeout then adds nothing). The pub/sub duplicate is not bounded here: the
 * store bounds its SUBSCRIBE itself, connect time included (redis-store.ts).
 */
function boundClusterCommands(cluster: Cluster, commandTimeoutMs: number): void {
  const send = cluster.sendCommand.bind(cluster);
  cluster.sendCommand = ((...args: Parameters<Cluster["sendCommand"]>) => {
    args[0].setTimeout(commandTimeoutMs);
    return send(...args);
  }) as Cluster["sendCommand"];
}

const CONNECTION_CLOSED = "Connection is closed.";

/**
 * A command whose node connection closed before its reply came may have run. ioredis re-sent it 100 ms later
 * (retryDelayOnFailover) where one server rejects it (maxRetriesPerRequest 0): a lock its caller had just taken was
 * answered "taken" (the re-sent SET NX found the caller's own value), so the leader waited on itself until the lock
 * expired; a late answer taken by deleteIfEquals was answered "not there" and lost; a counter counted twice
 * (test/integration/topology/cluster-replayed-writes.test.ts: 4 of 5 SET NX answered false). It is now rejected
 * (the store's StoreUnavailableError), as on one server. That re-send also refreshed the slot map, which is how
 * ioredis found a promoted replica: a closed connection refreshes it here instead.
 */
function notResentAfterClose(cluster: Cluster): void {
  const send = cluster.sendCommand.bind(cluster);
  cluster.sendCommand = ((...args: Parameters<Cluster["sendCommand"]>) => {
    const sent = send(...args);
    args[0].promise.catch((error: unknown) => {
      if ((error as Error)?.message === CONNECTION_CLOSED && cluster.status === "ready") cluster.refreshSlotsCache();
    });
    return sent;
  }) as Cluster["sendCommand"];
}

/** After this long without its pub/sub connection ending, a Cluster's subscriber starts its backoff over. */
const SUBSCRIBER_CALM_MS = 30_000;

/**
 * ioredis 6's ClusterSubscriber (its pub/sub connection) picks another node and connects the moment
 * its connection ends, with no delay and no retry strategy of its own. With every node down that is a
 * new connection per refusal: ~3,000 a second, a core at 100 % and RSS growing ~8 MB a second with no
 * traffic at all (a gateway reached 2.2 GB after its test's cluster was stopped). Its reselection now
 * waits out the same backoff as every other reconnect here. This reaches into ioredis' internals (the
 * subscriber's `onSubscriberEnd`, an instance property it reads each time it listens for `end`); on a
 * version without them nothing changes, and test/integration/topology/cluster-outage.test.ts fails.
 */
function paceSubscriberReselection(cluster: Cluster): void {
  const subscriber = (cluster as unknown as { subscriber?: { onSubscriberEnd?: unknown } }).subscriber;
  const reselect = subscriber?.onSubscriberEnd;
  const backoff = cluster.options.clusterRetryStrategy;
  if (subscriber === undefined || typeof reselect !== "function" || typeof backoff !== "function") return;
  let ends = 0;
  let lastEnd = 0;
  let pending: NodeJS.Timeout | undefined;
  subscriber.onSubscriberEnd = () => {
    const now = Date.now();
    ends = now - lastEnd > SUBSCRIBER_CALM_MS ? 1 : ends + 1;
    lastEnd = now;
    clearTimeout(pending);
    // Still a no-op once the cluster is closed: ioredis checks that it is started when this fires.
    pending = setTimeout(reselect as () => void, ends === 1 ? 0 : (backoff(ends - 1) ?? 0));
    pending.unref();
  };
}
