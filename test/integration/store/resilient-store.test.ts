import { afterAll, beforeAll, expect, it } from "vitest";
import { createRedisStore } from "../../../src/store/redis-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { eventually, findFreePort, rawRedis, recordingLogger, startRedisServer, type RedisServerProcess } from "./redis-test-support.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";

const redisServer = probeRedisServerBinary();

describeNeeding(redisServer, "createResilientStore over a Redis that goes away and comes back", () => {
  let server: RedisServerProcess | undefined;
  let port: number;
  let store: Store;
  const { lines, logger } = recordingLogger();
  const prefix = "test:resilient:";
  /** Every data call that reached the Redis store (health probes aside). */
  const primaryCalls: string[] = [];

  beforeAll(async () => {
    port = await findFreePort();
    server = await startRedisServer(port);
    const primary = createRedisStore({ url: server.url, keyPrefix: prefix, commandTimeoutMs: 300, reconnectMaxDelayMs: 200 });
    store = createResilientStore({ primary: recordingDataCalls(primary, primaryCalls), logger, probeIntervalMs: 50 });
  });

  afterAll(async () => {
    await store?.close();
    await server?.stop(); // the whole server goes, and with it every key the test made
  });

  async function inRedis(key: string): Promise<Buffer | null> {
    const raw = rawRedis(`redis://127.0.0.1:${port}`);
    try {
      return await raw.getBuffer(prefix + key);
    } finally {
      raw.disconnect();
    }
  }

  it("uses Redis while it answers, and says so", async () => {
    await store.set("before", Buffer.from("shared"), 10_000);
    expect(await inRedis("before")).toEqual(Buffer.from("shared"));
    expect(await store.health()).toEqual({ ok: true, status: "up", detail: `redis standalone redis://127.0.0.1:${port}: ok` });
    expect(lines.filter((line) => line.level === "warn")).toEqual([]);
  });

  it("keeps serving from process memory once Redis is killed, reports degraded, and warns once", async () => {
    await server!.stop();
    primaryCalls.length = 0;
    await store.set("during", Buffer.from("local"), 10_000);
    expect(await store.get("during")).toEqual(Buffer.from("local"));
    expect(await store.setIfAbsent("lock", Buffer.from("owner"), 10_000)).toBe(true);
    expect(await store.setIfAbsent("lock", Buffer.from("other"), 10_000)).toBe(false);
    expect(await store.deleteIfEquals("lock", Buffer.from("owner"))).toBe(true);
    expect(await store.increment("counter", 10_000)).toBe(1);
    expect(await store.increment("counter", 10_000)).toBe(2);
    const received: Buffer[] = [];
    const stop = await store.subscribe("channel", (message) => received.push(message));
    await store.publish("channel", Buffer.from("hello"));
    await eventually("the local message", () => received.length === 1);
    await stop();
    // Only the first call tried Redis (and found it gone); every later one went straight to memory.
    expect(primaryCalls).toEqual(["set"]);

    const health = await store.health();
    expect(health.ok).toBe(true);
    expect(health.status).toBe("degraded");
    expect(health.detail).toMatch(/^degraded: redis unreachable \(.+\); serving from process memory, not shared with other replicas$/);
    const warnings = lines.filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toBe("store degraded: redis unreachable, serving from process memory until it answers again");
  });

  it("goes back to Redis by itself when Redis is restarted on the same port", async () => {
    server = await startRedisServer(port);
    await eventually("health up again", async () => (await store.health()).status === "up");
    await store.set("after", Buffer.from("shared-again"), 10_000);
    expect(await inRedis("after")).toEqual(Buffer.from("shared-again"));
    expect(await inRedis("during")).toBeNull(); // written to process memory while Redis was gone
    expect(lines.filter((line) => line.level === "info").map((line) => line.message)).toEqual(["store recovered: redis reachable again"]);
  });

  it("warns once more for a second outage, not once per call", async () => {
    await server!.stop();
    for (let index = 0; index < 20; index += 1) await store.set(`second-${index}`, Buffer.from("x"), 10_000);
    expect(lines.filter((line) => line.level === "warn")).toHaveLength(2);
    server = await startRedisServer(port);
    await eventually("health up again", async () => (await store.health()).status === "up");
  });
});

/** The real store, with the name of every data call made on it appended to `calls`. */
function recordingDataCalls(store: Store, calls: string[]): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "health" || property === "close") return value;
      return (...args: unknown[]) => (calls.push(String(property)), (value as (...args: unknown[]) => unknown).apply(target, args));
    },
  });
}
