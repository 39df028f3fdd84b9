import { describe, expect, it } from "vitest";
import { createMemoryStore, createRedisStore, createResilientStore, StoreUnavailableError } from "../../../src/store/index.js";
import type { Store } from "../../../src/store/store.types.js";
import { describeError } from "../../../src/store/store-options.js";
import { findFreePort } from "../../integration/store/redis-test-support.js";

/** What a caller handing the store a wrong argument is told: the contract, and the type it gave, never its value. */
describe("store arguments", () => {
  const store = createMemoryStore();
  const value = Buffer.from("v");

  it("refuses an empty or non-string key, naming what it got", async () => {
    await expect(store.get("")).rejects.toThrow(new TypeError('key must be a non-empty string (got "")'));
    await expect(store.get(42 as never)).rejects.toThrow(new TypeError("key must be a non-empty string (got number)"));
    await expect(store.publish(undefined as never, value)).rejects.toThrow(new TypeError("channel must be a non-empty string (got undefined)"));
  });

  it("refuses a value that is not a Buffer, naming its type and not its content", async () => {
    await expect(store.set("k", "secret-value" as never, 1000)).rejects.toThrow(new TypeError("value must be a Buffer (got string)"));
  });

  it("names the argument of every memory store operation it refuses", async () => {
    await expectEveryArgumentNamed(createMemoryStore());
  });

  it("names the argument of every Redis store operation it refuses, before any command is sent", async () => {
    // Nothing listens at this port: the refusals are the argument checks, not a connection failure.
    const redis = createRedisStore({ url: `redis://127.0.0.1:${await findFreePort()}` });
    try {
      await expectEveryArgumentNamed(redis);
    } finally {
      await redis.close();
    }
  });

  it("refuses a TTL or a bound that is not a positive safe integer, showing the value", async () => {
    for (const ttl of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      await expect(store.set("k", value, ttl)).rejects.toThrow(new TypeError(`ttlMs must be a positive integer (got ${JSON.stringify(ttl)})`));
    }
    await expect(store.set("k", value, "1000" as never)).rejects.toThrow(new TypeError('ttlMs must be a positive integer (got "1000")'));
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow(new TypeError("createMemoryStore: maxEntries must be a positive integer (got 0)"));
    await expect(store.set("k", value, 1)).resolves.toBeUndefined();
  });
});

describe("store failure descriptions", () => {
  it("keeps the first line of an error, at most 200 characters, and the string form of anything else", () => {
    expect(describeError(new Error(`${"y".repeat(300)}\nstack`))).toBe("y".repeat(200));
    expect(describeError(new Error("first\nsecond"))).toBe("first");
    expect(describeError({ toString: () => "odd rejection" })).toBe("odd rejection");
  });

  it("says whether Redis is unreachable or refuses writes", () => {
    expect(new StoreUnavailableError("connect ECONNREFUSED")).toMatchObject({ name: "StoreUnavailableError", failure: "unreachable", message: "redis unreachable (connect ECONNREFUSED)" });
    expect(new StoreUnavailableError("OOM command not allowed", "writes-refused")).toMatchObject({ failure: "writes-refused", message: "redis refuses writes (OOM command not allowed)" });
  });
});

describe("store counters and wiring", () => {
  it("refuses to count on a key that holds something other than a counter", async () => {
    const store = createMemoryStore();
    await store.set("not-a-counter", Buffer.from("abc"), 1000);
    await expect(store.increment("not-a-counter", 1000)).rejects.toThrow(new Error("value at key is not a counter"));
  });

  it("refuses a resilient store without a primary store or with a bad probe interval, naming the option", () => {
    expect(() => createResilientStore(undefined as never)).toThrow(new TypeError("createResilientStore: primary must be a Store (e.g. createRedisStore(…))"));
    expect(() => createResilientStore({} as never)).toThrow(new TypeError("createResilientStore: primary must be a Store (e.g. createRedisStore(…))"));
    expect(() => createResilientStore({ primary: {} as never })).toThrow(new TypeError("createResilientStore: primary must be a Store (e.g. createRedisStore(…))"));
    expect(() => createResilientStore({ primary: createMemoryStore(), probeIntervalMs: 0 })).toThrow(new TypeError("createResilientStore: probeIntervalMs must be a positive integer (got 0)"));
  });
});

describe("createRedisStore options", () => {
  const url = "redis://127.0.0.1:6379";

  it("refuses a missing or non-string url, naming its type", () => {
    expect(() => createRedisStore(undefined as never)).toThrow(new TypeError("createRedisStore: url must be a redis:// URL string (got undefined)"));
    expect(() => createRedisStore({ url: 6379 as never })).toThrow(new TypeError("createRedisStore: url must be a redis:// URL string (got number)"));
  });

  it("refuses a keyPrefix that is not a string, naming its type", () => {
    expect(() => createRedisStore({ url, keyPrefix: 7 as never })).toThrow(new TypeError("createRedisStore: keyPrefix must be a string (got number)"));
  });

  it("refuses a connect timeout or a reconnect cap that is not a positive integer, naming the option", () => {
    expect(() => createRedisStore({ url, connectTimeoutMs: 0 })).toThrow(new TypeError("createRedisStore: connectTimeoutMs must be a positive integer (got 0)"));
    expect(() => createRedisStore({ url, reconnectMaxDelayMs: -5 })).toThrow(new TypeError("createRedisStore: reconnectMaxDelayMs must be a positive integer (got -5)"));
  });
});

/** Each operation given a bad key, channel or Buffer rejects with a TypeError naming that argument. */
async function expectEveryArgumentNamed(store: Store): Promise<void> {
  const value = Buffer.from("v");
  const badKey = new TypeError('key must be a non-empty string (got "")');
  await expect(store.get("")).rejects.toThrow(badKey);
  await expect(store.set("", value, 1000)).rejects.toThrow(badKey);
  await expect(store.set("k", "v" as never, 1000)).rejects.toThrow(new TypeError("value must be a Buffer (got string)"));
  await expect(store.delete("")).rejects.toThrow(badKey);
  await expect(store.setIfAbsent("", value, 1000)).rejects.toThrow(badKey);
  await expect(store.setIfAbsent("k", null as never, 1000)).rejects.toThrow(new TypeError("value must be a Buffer (got object)"));
  await expect(store.deleteIfEquals("", value)).rejects.toThrow(badKey);
  await expect(store.deleteIfEquals("k", "v" as never)).rejects.toThrow(new TypeError("expected must be a Buffer (got string)"));
  await expect(store.extendIfEquals("", value, 1000)).rejects.toThrow(badKey);
  await expect(store.extendIfEquals("k", 1 as never, 1000)).rejects.toThrow(new TypeError("expected must be a Buffer (got number)"));
  await expect(store.increment("", 1000)).rejects.toThrow(badKey);
  await expect(store.publish("", value)).rejects.toThrow(new TypeError('channel must be a non-empty string (got "")'));
  await expect(store.publish("c", "m" as never)).rejects.toThrow(new TypeError("message must be a Buffer (got string)"));
  await expect(store.subscribe("", () => {})).rejects.toThrow(new TypeError('channel must be a non-empty string (got "")'));
}
