import { afterAll, beforeAll, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import { StoreUnavailableError } from "../../../src/store/store-errors.js";
import type { CarryPolicy } from "../../../src/store/outage-writes.js";
import type { Store } from "../../../src/store/store.types.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { eventually, findFreePort, rawRedis, recordingLogger, startRedisServer, type RedisServerProcess } from "./redis-test-support.js";

/**
 * The resilient store's carry-over: writes the fallback served for the keys `carriedThroughOutage`
 * names are replayed on Redis when it answers again, before any operation goes back to it.
 */
const redisServer = probeRedisServerBinary();
const prefix = "test:carry:";
const carried = (key: string): CarryPolicy | undefined =>
  key.startsWith("carried:") ? { replay: "overwrite" } : key.startsWith("priority:") ? { replay: "overwrite", priority: true } : undefined;
let server: RedisServerProcess | undefined;
let admin: Redis | undefined;

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  server = await startRedisServer(await findFreePort());
  admin = rawRedis(server.url);
});
afterAll(async () => {
  server?.resume();
  admin?.disconnect();
  await server?.stop();
});

/** A resilient store over the test's Redis; `refuseSets` makes the Redis store's set fail as if Redis were gone (health still ok), `setDelayMs` slows it. */
function resilientStore(options: { fallbackEntries?: number } = {}) {
  const { lines, logger } = recordingLogger();
  const redisStore = createRedisStore({ url: server!.url, keyPrefix: prefix, commandTimeoutMs: 300, reconnectMaxDelayMs: 100 });
  const control = { refuseSets: false, setDelayMs: 0 };
  const primary: Store = {
    ...redisStore,
    async set(key, value, ttlMs) {
      if (control.refuseSets) throw new StoreUnavailableError("test: refused");
      if (control.setDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, control.setDelayMs));
      return redisStore.set(key, value, ttlMs);
    },
  };
  const fallback = createMemoryStore({ maxEntries: options.fallbackEntries ?? 10_000 });
  const store = createResilientStore({ primary, fallback, logger, probeIntervalMs: 50, carriedThroughOutage: carried });
  return { store, lines, control };
}

async function duringOutage(store: Store, writes: () => Promise<void>): Promise<void> {
  server!.pause();
  try {
    // The first operation waits out the command timeout and puts the store in fallback.
    await store.get("carried:probe");
    expect((await store.health()).status).toBe("degraded");
    await writes();
  } finally {
    server!.resume();
  }
}

describeNeeding(redisServer, "createResilientStore carrying an outage's writes over to Redis", () => {
  it("replays the last write of each carried key (value, remaining TTL, removals and taken values), and nothing else, before it serves from Redis", async () => {
    const { store, lines } = resilientStore();
    try {
      await admin!.set(`${prefix}carried:replaced`, "before", "PX", 60_000);
      await admin!.set(`${prefix}carried:removed`, "before", "PX", 60_000);
      await admin!.set(`${prefix}carried:taken`, "answer", "PX", 60_000);
      await duringOutage(store, async () => {
        await store.set("carried:new", Buffer.from("outage"), 20_000);
        await store.set("carried:replaced", Buffer.from("outage"), 20_000);
        await store.delete("carried:removed");
        await store.set("carried:taken", Buffer.from("answer"), 20_000);
        expect(await store.deleteIfEquals("carried:taken", Buffer.from("answer"))).toBe(true);
        await store.set("carried:short", Buffer.from("gone soon"), 1);
        await store.set("carried:then-removed", Buffer.from("x"), 20_000);
        await store.delete("carried:then-removed");
        await store.set("local:only", Buffer.from("outage"), 20_000);
        expect(await store.setIfAbsent("local:lock", Buffer.from("owner"), 20_000)).toBe(true);
      });
      await eventually("back on Redis", async () => (await store.health()).status === "up", 10_000);

      expect(await admin!.get(`${prefix}carried:new`)).toBe("outage");
      const ttl = await admin!.pttl(`${prefix}carried:new`);
      expect(ttl).toBeGreaterThan(10_000);
      expect(ttl).toBeLessThanOrEqual(20_000);
      expect(await admin!.get(`${prefix}carried:replaced`)).toBe("outage");
      expect(await admin!.exists(`${prefix}carried:removed`, `${prefix}carried:taken`, `${prefix}carried:short`, `${prefix}carried:then-removed`)).toBe(0);
      expect(await admin!.exists(`${prefix}local:only`, `${prefix}local:lock`)).toBe(0);
      const recovered = lines.find((line) => line.message === "store recovered: redis reachable again");
      expect(recovered?.fields).toMatchObject({ carried: 5 });
    } finally {
      await store.close();
    }
  }, 30_000);

  it("stays degraded while Redis fails the carry-over, and carries it over at a later probe", async () => {
    const { store, lines, control } = resilientStore();
    try {
      await duringOutage(store, async () => {
        await store.set("carried:retried", Buffer.from("outage"), 20_000);
        control.refuseSets = true;
      });
      await eventually("a failed carry-over logged", () => lines.some((line) => line.message === "store still degraded: carrying the outage's writes over to redis failed"), 10_000);
      expect((await store.health()).status).toBe("degraded");
      expect(await admin!.get(`${prefix}carried:retried`)).toBeNull();
      // Still served from process memory meanwhile.
      expect(await store.get("carried:retried")).toEqual(Buffer.from("outage"));
      control.refuseSets = false;
      await eventually("back on Redis", async () => (await store.health()).status === "up", 10_000);
      expect(await admin!.get(`${prefix}carried:retried`)).toBe("outage");
    } finally {
      await store.close();
    }
  }, 30_000);

  it("goes back to Redis only once every outage write is on it, though requests keep writing while it replays: a later outage replays nothing of this one", async () => {
    const { store, lines, control } = resilientStore();
    try {
      await duringOutage(store, async () => {
        await store.set("carried:busy-0", Buffer.from("v0"), 20_000);
      });
      // Each replayed SET takes 30 ms while a request writes every 5 ms (an attacker review lost the writes of the last pass).
      control.setDelayMs = 30;
      let written = 0;
      const writing = setInterval(() => {
        written += 1;
        void store.set(`carried:busy-${written}`, Buffer.from(`v${written}`), 20_000);
      }, 5);
      try {
        await eventually("back on Redis", async () => (await store.health()).status === "up", 15_000);
      } finally {
        clearInterval(writing);
      }
      control.setDelayMs = 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
      const keys = Array.from({ length: written + 1 }, (_, index) => `${prefix}carried:busy-${index}`);
      expect(await admin!.exists(...keys)).toBe(keys.length);

      await duringOutage(store, async () => {});
      await eventually("back on Redis again", async () => (await store.health()).status === "up", 10_000);
      const recoveries = lines.filter((line) => line.message === "store recovered: redis reachable again");
      expect(recoveries.at(-1)?.fields).toMatchObject({ carried: 0 });
    } finally {
      await store.close();
    }
  }, 40_000);

  it("holds a revocation through an outage though the fallback's LRU evicts it: read during the outage, on Redis after it", async () => {
    // An attacker review: 10,000 cache writes during an outage pushed a revocation out of process memory, and the family refreshed.
    const { store } = resilientStore({ fallbackEntries: 3 });
    try {
      await duringOutage(store, async () => {
        await store.set("priority:revoked", Buffer.from("revoked"), 20_000);
        for (let index = 0; index < 5; index += 1) await store.set(`carried:churn-${index}`, Buffer.from("x"), 20_000);
        expect(await store.get("priority:revoked")).toEqual(Buffer.from("revoked"));
      });
      await eventually("back on Redis", async () => (await store.health()).status === "up", 10_000);
      expect(await admin!.get(`${prefix}priority:revoked`)).toBe("revoked");
    } finally {
      await store.close();
    }
  }, 30_000);
});
