import { describe, expect, it } from "vitest";
import { createMemoryStore, createResilientStore, StoreUnavailableError } from "../../../src/store/index.js";
import { describeError } from "../../../src/store/store-options.js";

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
    expect(() => createResilientStore({ primary: {} as never })).toThrow(new TypeError("createResilientStore: primary must be a Store (e.g. createRedisStore(…))"));
    expect(() => createResilientStore({ primary: createMemoryStore(), probeIntervalMs: 0 })).toThrow(new TypeError("createResilientStore: probeIntervalMs must be a positive integer (got 0)"));
  });
});
