/**
 * What the race tests use to FORCE an interleaving instead of hoping a storm hits it:
 * - a controllable upstream (the real `Upstream` interface) modelling Identity Center's refresh
 *   rotation, whose calls can be held until the test releases them;
 * - a store wrapper (the real `Store` interface over the real memory or Redis store) whose chosen
 *   operation can be held after it ran, until the test releases it, and which can "die";
 * - replicas: token services built by the production factory over one shared store.
 * Nothing here sleeps: every step waits for an event the code under test causes.
 */
import { loadConfig } from "../../../../src/config/index.js";
import type { GatewayConfig } from "../../../../src/config/config.types.js";
import { GatewayError } from "../../../../src/errors/error-codes.js";
import { createLogger } from "../../../../src/logging/logger.js";
import { KEY_NAMESPACE, createGatewayStore, createMemoryStore, type Store } from "../../../../src/store/index.js";
import { silentStoreLogger } from "../../../../src/store/store.types.js";
import { createTokenService, type TokenService } from "../../../../src/tokens/index.js";
import type { Upstream, UpstreamTokenRequest, UpstreamTokenResponse } from "../../../../src/upstream/index.js";
import { afterEach } from "vitest";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../../../integration/store/redis-test-support.js";
import { probeSharedRedis, titleNeeding } from "../../../support/test-dependencies.js";

export const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

/** A promise with its resolver: the one primitive every barrier here is made of. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Lets every pending microtask run (memory-store operations resolve without I/O). Not a clock: no time passes. */
export const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An upstream call held on a barrier: `arrived` resolves with its request; `release()` lets AWS answer it. */
export interface HeldCall {
  arrived: Promise<UpstreamTokenRequest>;
  release(): void;
}

export interface ControllableUpstream extends Upstream {
  /** Every request that reached "AWS", in arrival order. */
  readonly calls: UpstreamTokenRequest[];
  /** Holds the next call that arrives (calls nobody holds are answered at once). */
  holdNext(): HeldCall;
  /** Resolves when the n-th call (1-based) has arrived. */
  arrival(n: number): Promise<UpstreamTokenRequest>;
}

/**
 * Identity Center as far as these races care: every answer is a new pair (`access-n`,
 * `refresh-n`); a refresh token or an authorization code is single-use, consumed when AWS answers
 * the call that presents it, so a second presentation is answered INVALID_GRANT (AWS's InvalidGrantException).
 */
export function createControllableUpstream(): ControllableUpstream {
  const calls: UpstreamTokenRequest[] = [];
  const consumed = new Set<string>();
  const holds: Array<{ arrived: (request: UpstreamTokenRequest) => void; released: Promise<void> }> = [];
  const arrivals: Array<{ n: number; resolve: (request: UpstreamTokenRequest) => void }> = [];
  let answered = 0;

  function answer(request: UpstreamTokenRequest): UpstreamTokenResponse {
    const singleUse = request.refreshToken ?? request.code;
    if (singleUse !== undefined) {
      if (consumed.has(singleUse)) throw new GatewayError("INVALID_GRANT");
      consumed.add(singleUse);
    }
    answered += 1;
    return { accessToken: `access-${answered}`, tokenType: "Bearer", expiresIn: 3600, refreshToken: `refresh-${answered}`, requestId: `request-${answered}` };
  }

  return {
    calls,
    async createTokenWithIAM(request) {
      calls.push(request);
      for (const waiter of arrivals.filter(({ n }) => n === calls.length)) waiter.resolve(request);
      const hold = holds.shift();
      if (hold) {
        hold.arrived(request);
        await hold.released;
      }
      return answer(request);
    },
    holdNext() {
      const arrived = deferred<UpstreamTokenRequest>();
      const released = deferred();
      holds.push({ arrived: arrived.resolve, released: released.promise });
      return { arrived: arrived.promise, release: () => released.resolve() };
    },
    arrival(n) {
      if (calls.length >= n) return Promise.resolve(calls[n - 1]!);
      const waiter = deferred<UpstreamTokenRequest>();
      arrivals.push({ n, resolve: waiter.resolve });
      return waiter.promise;
    },
    destroy() {},
  };
}

type Operation = "get" | "set" | "delete" | "swap" | "setIfAbsent" | "deleteIfEquals" | "extendIfEquals" | "increment" | "publish" | "subscribe";

/** An operation caught by `hold`: `reached` resolves once it ran (with its key and result); the caller gets the result only after `release()`. */
export interface StoreGate<T = unknown> {
  reached: Promise<{ key: string; result: T }>;
  release(): void;
}

export interface GatedStore extends Store {
  /** Catches the next `operation` on a key of `purpose` (e.g. "sf-lock", "refresh-successor", "token-cache"). */
  hold<T = unknown>(operation: Operation, purpose: string): StoreGate<T>;
  /** Like hold, released at once: an event telling the test that the operation ran, and what it returned. */
  next<T = unknown>(operation: Operation, purpose: string): Promise<{ key: string; result: T }>;
  /** This replica's process is gone: every later call through it rejects (no heartbeat, no write, no release). */
  kill(): void;
}

/** The real store underneath, with barriers on chosen operations. */
export function createGatedStore(inner: Store): GatedStore {
  const gates: Array<{ operation: Operation; prefix: string; reach: (seen: { key: string; result: unknown }) => void; released: Promise<void> }> = [];
  let dead = false;

  async function through<T>(operation: Operation, key: string, run: () => Promise<T>): Promise<T> {
    if (dead) throw new Error("this replica's process is gone");
    const result = await run();
    const index = gates.findIndex((gate) => gate.operation === operation && key.startsWith(gate.prefix));
    if (index >= 0) {
      const [gate] = gates.splice(index, 1);
      gate!.reach({ key, result });
      await gate!.released;
    }
    return result;
  }

  function hold<T>(operation: Operation, purpose: string): StoreGate<T> {
    const reached = deferred<{ key: string; result: T }>();
    const released = deferred();
    gates.push({ operation, prefix: `${KEY_NAMESPACE}:${purpose}:`, reach: reached.resolve as (seen: { key: string; result: unknown }) => void, released: released.promise });
    return { reached: reached.promise, release: () => released.resolve() };
  }

  return {
    kind: inner.kind,
    // Each operation is passed on when called (a hold delays only its caller's result), so the inner store's order holds.
    ordered: inner.ordered,
    get: (key) => through("get", key, () => inner.get(key)),
    set: (key, value, ttlMs) => through("set", key, () => inner.set(key, value, ttlMs)),
    delete: (key) => through("delete", key, () => inner.delete(key)),
    swap: (key, value, ttlMs) => through("swap", key, () => inner.swap(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => through("setIfAbsent", key, () => inner.setIfAbsent(key, value, ttlMs)),
    deleteIfEquals: (key, expected) => through("deleteIfEquals", key, () => inner.deleteIfEquals(key, expected)),
    extendIfEquals: (key, expected, ttlMs) => through("extendIfEquals", key, () => inner.extendIfEquals(key, expected, ttlMs)),
    increment: (key, ttlMs) => through("increment", key, () => inner.increment(key, ttlMs)),
    publish: (channel, message) => through("publish", channel, () => inner.publish(channel, message)),
    subscribe: (channel, handler) => through("subscribe", channel, () => inner.subscribe(channel, handler)),
    health: () => inner.health(),
    close: () => inner.close(),
    hold,
    next(operation, purpose) {
      const gate = hold(operation, purpose);
      gate.release();
      return gate.reached as never;
    },
    kill() {
      dead = true;
    },
  };
}

/** The test configuration every replica shares (one gateway secret: they agree on keys and seals). */
export function raceConfig(env: Record<string, string> = {}): GatewayConfig {
  return loadConfig({
    NODE_ENV: "test", LOG_LEVEL: "silent", SSO_OIDC_ENDPOINT: "http://127.0.0.1:1", DEFAULT_CLIENT_ID: APP,
    GATEWAY_SECRET: "race-tests-gateway-secret-0123456789abcdef", UPSTREAM_MAX_ATTEMPTS: "1", ...env,
  });
}

/** One gateway replica: the production token service over `store` and the shared upstream. */
export function replica(store: Store, upstream: Upstream, config: GatewayConfig = raceConfig()): TokenService {
  return createTokenService({ config, upstream, logger: createLogger({ level: "silent" }), store });
}

/** A gateway replica as the tests drive it: its store (with barriers) and its token service. */
export interface Replica {
  store: GatedStore;
  service: TokenService;
}

/** Two replicas; `close()` closes their stores and removes everything they wrote. */
export interface Replicas {
  one: Replica;
  two: Replica;
  close(): Promise<void>;
}

/**
 * One process on the memory store (the default deployment): `one` and `two` are the same replica,
 * so "the other replica" is another request to the same process.
 */
export function oneProcess(upstream: Upstream, config: GatewayConfig = raceConfig()): Replicas {
  const store = createGatedStore(createMemoryStore());
  const only = { store, service: replica(store, upstream, config) };
  return { one: only, two: only, close: () => store.close() };
}

/** Two replicas sharing the real Redis (127.0.0.1:6379) under a key prefix of their own, as production wires them (resilient store over Redis). */
export function redisReplicas(label: string, upstream: Upstream, config: GatewayConfig = raceConfig()): Replicas {
  const keyPrefix = uniqueKeyPrefix(`races-${label}`);
  const start = (): Replica => {
    const store = createGatedStore(createGatewayStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, logger: silentStoreLogger }));
    return { store, service: replica(store, upstream, config) };
  };
  const one = start();
  const two = start();
  return {
    one,
    two,
    close: () => closeAndForget([one.store, two.store], keyPrefix),
  };
}

/** Closes `stores` and, when they were on Redis (`keyPrefix` given), deletes every key they wrote. */
export async function closeAndForget(stores: Store[], keyPrefix: string | undefined): Promise<void> {
  await Promise.all(stores.map((store) => store.close()));
  if (keyPrefix === undefined) return;
  const redis = rawRedis();
  await deleteKeysWithPrefix(redis, keyPrefix);
  redis.disconnect();
}

/** A backend the race tests run on: whether it is here, and how a test starts its replicas (closed after each test). */
export interface RaceBackend {
  name: string;
  available: boolean;
  start(config?: GatewayConfig): Replicas & { upstream: ControllableUpstream };
}

function raceBackend(name: string, available: boolean, replicasOf: (upstream: ControllableUpstream, config: GatewayConfig) => Replicas): RaceBackend {
  let started: Replicas | undefined;
  afterEach(async () => {
    await started?.close();
    started = undefined;
  });
  return {
    name,
    available,
    start(config = raceConfig()) {
      const upstream = createControllableUpstream();
      started = replicasOf(upstream, config);
      return { ...started, upstream };
    },
  };
}

/** One process on the memory store, a fresh one per test. */
export function memoryBackend(): RaceBackend {
  return raceBackend("one process on the memory store", true, oneProcess);
}

/** Two replicas on the shared Redis, fresh ones per test; when Redis does not answer, its name carries the reason its cases are skipped. */
export async function redisBackend(file: string): Promise<RaceBackend> {
  const sharedRedis = await probeSharedRedis();
  return raceBackend(titleNeeding([sharedRedis], "two replicas on Redis"), sharedRedis.missing === undefined, (upstream, config) => redisReplicas(file.replace(/\.test\.ts$/, ""), upstream, config));
}

/** The code a rejection carries (what the GraphQL client sees as extensions.code), or "ok". */
export async function outcome(answer: PromiseLike<unknown> | unknown): Promise<string> {
  try {
    await answer;
    return "ok";
  } catch (error) {
    return error instanceof GatewayError ? error.code : `not a GatewayError: ${String(error)}`;
  }
}
