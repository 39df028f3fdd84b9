import { afterEach, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createLogger } from "../../../src/logging/logger.js";
import { createMemoryStore, createRedisStore, createResilientStore, StoreUnavailableError } from "../../../src/store/index.js";
import type { Store, StoreFailureCause } from "../../../src/store/index.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { eventually, findFreePort, rawRedis, startClosingProxy, startRedisServer, type RedisServerProcess } from "./redis-test-support.js";

/**
 * Redis faults in this process, each test on a `redis-server` of its own (ephemeral port, nothing on
 * disk): a Redis that refuses writes (maxmemory 1 with noeviction), a command held past its timeout
 * (CLIENT PAUSE WRITE), a connection Redis drops under a command (a proxy closing it cleanly), and a Redis that is
 * not there. What is asserted is what callers and operators see: the error and its cause, health,
 * the resilient store's fallback, its log lines (through the gateway's pino logger) and its recovery.
 */
const redisServer = probeRedisServerBinary();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(port?: number): Promise<{ server: RedisServerProcess; admin: Redis }> {
  const server = await startRedisServer(port ?? (await findFreePort()));
  const admin = rawRedis(server.url);
  cleanups.push(() => server.stop(), () => admin.disconnect());
  return { server, admin };
}

function redisStore(url: string, commandTimeoutMs = 1_000): Store {
  const store = createRedisStore({ url, keyPrefix: "test:faults:", commandTimeoutMs, reconnectMaxDelayMs: 100 });
  cleanups.push(() => store.close());
  return store;
}

/** The gateway's pino logger, writing its JSON lines to memory. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { lines, logger };
}

const refuseWrites = (admin: Redis) => admin.config("SET", "maxmemory-policy", "noeviction").then(() => admin.config("SET", "maxmemory", "1"));

describeNeeding(redisServer, "the Redis store when Redis refuses writes", () => {
  it("rejects a write with StoreUnavailableError whose cause is writes-refused, still reads, and is down in health", async () => {
    const { server, admin } = await startServer();
    const store = redisStore(server.url);
    await refuseWrites(admin);
    const error = await store.set("k", Buffer.from("v"), 10_000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ failure: "writes-refused", message: expect.stringMatching(/^redis refuses writes \(OOM command not allowed/) });
    expect(await store.get("k")).toBeNull();
    const health = await store.health();
    expect(health).toMatchObject({ ok: false, status: "down" });
    expect(health.detail).toMatch(/^redis refuses writes \(OOM command not allowed/);
  });

  it("behind the resilient store: falls back with one error line naming the cause, serves every operation from its fallback, and goes back once writes are accepted", async () => {
    const { server, admin } = await startServer();
    const fallback = createMemoryStore();
    const failures: StoreFailureCause[] = [];
    const { lines, logger } = capturedLogger();
    const store = createResilientStore({ primary: redisStore(server.url), fallback, logger, probeIntervalMs: 50, onFailure: (cause) => failures.push(cause) });
    cleanups.push(() => store.close());
    await refuseWrites(admin);

    // Found by health first: the cause is read from the primary's health detail.
    const degraded = await store.health();
    expect(degraded.status).toBe("degraded");
    expect(degraded.detail).toMatch(/^degraded: redis refuses writes \(OOM command not allowed.*\); serving from process memory, not shared with other replicas$/);
    expect(failures).toEqual(["writes-refused"]);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      store: "redis",
      cause: "writes-refused",
      reason: expect.stringMatching(/^OOM command not allowed/),
      msg: "store degraded: redis refuses writes, serving from process memory until it accepts them again (free memory or raise maxmemory)",
    });

    await store.set("k", Buffer.from("local"), 10_000);
    expect(await fallback.get("k")).toEqual(Buffer.from("local"));
    expect(await store.increment("n", 10_000)).toBe(1);
    expect(await store.increment("n", 10_000)).toBe(2);
    const received: string[] = [];
    await store.subscribe("c", (message) => void received.push(message.toString()));
    await store.publish("c", Buffer.from("hello"));
    await eventually("the message through the fallback", () => received.length === 1);
    expect(received).toEqual(["hello"]);
    expect(await store.health()).toEqual(degraded);
    expect(failures).toEqual(["writes-refused"]); // degraded: nothing more is tried on Redis, nothing more counted
    expect(await admin.dbsize()).toBe(0);

    await admin.config("SET", "maxmemory", "0");
    await eventually("health up again", async () => (await store.health()).status === "up");
    expect(lines.filter((line) => line.level === 30).map((line) => line.msg)).toEqual(["store recovered: redis accepts writes again"]);
    await store.set("back", Buffer.from("shared"), 10_000);
    expect(await admin.getBuffer("test:faults:back")).toEqual(Buffer.from("shared"));
    expect(lines.filter((line) => line.level === 50)).toHaveLength(1);
  });
});

/** A store connected (health up) to a Redis of its own through a proxy that can drop the connection. */
async function storeBehindClosingProxy() {
  const { server } = await startServer();
  const proxy = await startClosingProxy(server.port);
  cleanups.push(() => proxy.close());
  const store = redisStore(proxy.url, 60_000);
  expect((await store.health()).ok).toBe(true);
  return { proxy, store };
}

describeNeeding(redisServer, "the Redis store's failure messages", () => {
  it("reports a command held past its timeout as timed out, not as the connection error it saw earlier", async () => {
    const port = await findFreePort();
    const store = redisStore(`redis://127.0.0.1:${port}`, 300);
    // Nothing listens yet: the store sees a refused connection first, then connects once Redis starts.
    await expect(store.get("k")).rejects.toThrow(`redis unreachable (connect ECONNREFUSED 127.0.0.1:${port})`);
    const { admin } = await startServer(port);
    await eventually("connected", async () => (await store.health()).ok);
    await admin.call("CLIENT", "PAUSE", "60000", "WRITE");
    cleanups.push(() => admin.call("CLIENT", "UNPAUSE").then(() => undefined));
    await expect(store.set("k", Buffer.from("v"), 10_000)).rejects.toThrow(new StoreUnavailableError("Command timed out"));
  });

  it("reports a command whose connection Redis dropped, with no connection error before it, by what the client said", async () => {
    const { proxy, store } = await storeBehindClosingProxy();
    const closed = proxy.closeOnNextCommand();
    const held = store.set("k", Buffer.from("v"), 10_000).catch((caught: unknown) => caught);
    await closed;
    const error = await held;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/^redis unreachable \(Reached the max retries per request limit/);
  });

  it("reports a command whose connection was reset under it by the socket's own error, not the client's generic one", async () => {
    const { proxy, store } = await storeBehindClosingProxy();
    const reset = proxy.closeOnNextCommand("reset");
    const error = await store.set("k", Buffer.from("v"), 10_000).catch((caught: unknown) => caught);
    await reset;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe("redis unreachable (read ECONNRESET)");
  });
});

describeNeeding(redisServer, "the resilient store over a Redis that is not there", () => {
  it("finds it by health: counts the failure as unreachable and names the connection error in its health", async () => {
    const port = await findFreePort();
    const failures: StoreFailureCause[] = [];
    const store = createResilientStore({ primary: redisStore(`redis://127.0.0.1:${port}`), onFailure: (cause) => failures.push(cause) });
    cleanups.push(() => store.close());
    expect(await store.health()).toEqual({
      ok: true,
      status: "degraded",
      detail: `degraded: redis unreachable (connect ECONNREFUSED 127.0.0.1:${port}); serving from process memory, not shared with other replicas`,
    });
    expect(failures).toEqual(["unreachable"]);
  });

  it("subscribes on the fallback alone when the first thing asked of it is a subscription", async () => {
    const port = await findFreePort();
    const failures: StoreFailureCause[] = [];
    const store = createResilientStore({ primary: redisStore(`redis://127.0.0.1:${port}`, 300), onFailure: (cause) => failures.push(cause) });
    cleanups.push(() => store.close());
    const received: string[] = [];
    const stop = await store.subscribe("c", (message) => void received.push(message.toString()));
    expect(failures).toEqual(["unreachable"]);
    expect((await store.health()).status).toBe("degraded");
    await store.publish("c", Buffer.from("local"));
    await eventually("the message through the fallback", () => received.length === 1);
    await stop();
  });

  it("passes on a subscription failure that is not an outage", async () => {
    const failing: Store = { ...createMemoryStore(), subscribe: () => Promise.reject(new Error("subscription refused")) };
    const store = createResilientStore({ primary: failing });
    cleanups.push(() => store.close());
    await expect(store.subscribe("c", () => {})).rejects.toThrow("subscription refused");
  });
});
