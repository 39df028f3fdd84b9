import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { createSingleFlight, type SingleFlight, type SingleFlightCodec } from "../../../src/coordination/single-flight.js";
import { deferred } from "../tokens/races/race-support.js";

/**
 * A flight's recheck and keep steps (token-exchanger.ts passes the response cache's lookup and
 * save): the same outcomes on one process, on an ordered store (one Redis connection: the steps
 * share the lock's round trips) and on an unordered one (a Cluster: each step waits for the last).
 */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 23) });
const text: SingleFlightCodec<string> = { encode: (value) => Buffer.from(value), decode: (bytes) => bytes.toString() };
const timings = { lockTtlMs: 5_000, waitTimeoutMs: 5_000 };
const lockOf = (key: string) => keyspace.key("sf-lock", key);

/** The memory store, as a Cluster would present it: the same operations, no order promised. */
const unordered = (store: Store): Store => ({ ...store, ordered: false });

const flights: Array<{ name: string; store: Store | undefined; create: (store: Store | undefined) => SingleFlight }> = [
  { name: "one process", store: undefined, create: () => createLocalSingleFlight() },
  { name: "ordered store", store: createMemoryStore(), create: (store) => createSingleFlight({ ...timings, store: store!, keyspace }) },
  { name: "unordered store", store: unordered(createMemoryStore()), create: (store) => createSingleFlight({ ...timings, store: store!, keyspace }) },
];

describe.each(flights)("a flight's recheck and keep ($name)", ({ store, create }) => {
  it("answers with the value the recheck finds, without calling fn or keeping it again", async () => {
    const kept: string[] = [];
    let calls = 0;
    const result = await create(store).run("found", async () => `fn-${++calls}`, text, {
      recheck: async () => "cached",
      keep: async (value) => void kept.push(value),
    });
    expect(result).toEqual({ value: "cached", role: "leader" });
    expect(calls).toBe(0);
    expect(kept).toEqual([]);
  });

  it("keeps fn's value once, while the flight still holds its lock, and answers with it", async () => {
    const kept: Array<{ value: string; lockHeld: boolean }> = [];
    const key = "kept";
    const result = await create(store).run(key, async () => "from-aws", text, {
      recheck: async () => undefined,
      keep: async (value) => void kept.push({ value, lockHeld: store === undefined || (await store.get(lockOf(key))) !== null }),
    });
    expect(result).toEqual({ value: "from-aws", role: "leader" });
    expect(kept).toEqual([{ value: "from-aws", lockHeld: true }]);
    if (store) expect(await store.get(lockOf(key))).toBeNull();
  });

  it("answers with fn's value when keeping it fails (nothing is lost to the cache)", async () => {
    const result = await create(store).run("keep-fails", async () => "from-aws", text, {
      keep: async () => { throw new Error("redis unreachable"); },
    });
    expect(result).toEqual({ value: "from-aws", role: "leader" });
  });
});

describe("a flight's recheck on an ordered store, for a call that did not get the lock", () => {
  it("answers at once with the value the recheck finds, while the leader is still working", async () => {
    const store = createMemoryStore();
    const leaderWorking = deferred();
    const leaderMayFinish = deferred();
    const replicaOne = createSingleFlight({ ...timings, store, keyspace });
    const replicaTwo = createSingleFlight({ ...timings, store, keyspace });
    const leader = replicaOne.run("busy", async () => (leaderWorking.resolve(), await leaderMayFinish.promise, "from-aws"), text);
    await leaderWorking.promise;

    const late = await replicaTwo.run("busy", async () => "second-call", text, { recheck: async () => "cached-elsewhere" });

    expect(late).toEqual({ value: "cached-elsewhere", role: "follower" });
    leaderMayFinish.resolve();
    expect(await leader).toEqual({ value: "from-aws", role: "leader" });
  });
});
