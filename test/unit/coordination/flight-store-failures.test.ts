import { afterEach, describe, expect, it, vi } from "vitest";
import { createSingleFlight, type SingleFlightCodec } from "../../../src/coordination/single-flight.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/store/store.types.js";
import { deferred } from "../tokens/races/race-support.js";
import { recordingStoreLogger, storeFailing } from "../mutation-kills/store-doubles.js";

/**
 * What a flight's leader does when a store write fails around its work (Redis down, or a lock that
 * expired under it): its caller still gets fn's outcome, the failure is a warning naming the step,
 * and a failed lock extension is tried again. The real memory store, with the chosen methods failing
 * as a Redis that is down makes them fail (test/unit/mutation-kills/store-doubles.ts).
 */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 23) });
const text: SingleFlightCodec<string> = { encode: (value) => Buffer.from(value), decode: (bytes) => bytes.toString() };
const DOWN = expect.stringContaining("redis down: ECONNREFUSED");

function flightOver(store: Store, lockTtlMs = 5_000) {
  const logger = recordingStoreLogger();
  return { logger, flight: createSingleFlight({ store, keyspace, lockTtlMs, waitTimeoutMs: 5_000, logger }) };
}

/** The real memory store whose `extendIfEquals` answers with `answer`, counting its calls. */
function storeExtending(answer: () => Promise<boolean>) {
  let calls = 0;
  const extendIfEquals: Store["extendIfEquals"] = () => {
    calls += 1;
    return answer();
  };
  return { store: Object.assign(Object.create(createMemoryStore()) as Store, { extendIfEquals }), calls: () => calls };
}

describe("a flight's leader when the store fails around it", () => {
  it("still answers its caller when releasing the lock and publishing fail, and warns of each", async () => {
    const { flight, logger } = flightOver(storeFailing(createMemoryStore(), ["deleteIfEquals", "publish"]));
    expect(await flight.run("release-fails", async () => "value", text)).toEqual({ value: "value", role: "leader" });
    expect(logger.lines).toEqual([
      { level: "warn", fields: { reason: DOWN }, message: "single-flight: could not release the lock" },
      { level: "warn", fields: { reason: DOWN }, message: "single-flight: could not publish the result" },
    ]);
  });

  it("still answers its caller when the hand-off or the keep step fails, and warns of each", async () => {
    const { flight, logger } = flightOver(storeFailing(createMemoryStore(), ["set"]));
    const keep = async () => Promise.reject(new Error("cache down"));
    expect(await flight.run("hand-off-fails", async () => "value", text, { keep })).toEqual({ value: "value", role: "leader" });
    expect(logger.lines).toEqual([
      { level: "warn", fields: { reason: "cache down" }, message: "single-flight: could not keep the result" },
      { level: "warn", fields: { reason: DOWN }, message: "single-flight: could not hand off the result" },
    ]);
  });

  it("stores nothing and warns of nothing for a leader's error its codec does not share", async () => {
    const { flight, logger } = flightOver(createMemoryStore());
    const unshared: SingleFlightCodec<string> = { ...text, shareError: () => undefined };
    await expect(flight.run("not-shared", async () => Promise.reject(new Error("not for followers")), unshared)).rejects.toThrow("not for followers");
    expect(logger.lines).toEqual([]);
  });

  // The heartbeat runs on timers (a beat every third of the lock's TTL): fake ones, advanced by hand.
  afterEach(() => {
    vi.useRealTimers();
  });

  it("tries a failed lock extension again at the next beat, warning each time", async () => {
    vi.useFakeTimers();
    const extending = storeExtending(async () => Promise.reject(new Error("redis down: ECONNREFUSED")));
    const { flight, logger } = flightOver(extending.store, 60);
    const done = deferred<void>();
    const running = flight.run("extend-fails", async () => (await done.promise, "value"), text);
    await vi.advanceTimersByTimeAsync(45);
    expect(extending.calls()).toBe(2);
    done.resolve();
    expect(await running).toEqual({ value: "value", role: "leader" });
    expect(logger.lines).toEqual(Array(2).fill({ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "single-flight: could not extend the lock" }));
  });

  it("warns once when its lock was lost while it worked, and stops extending it", async () => {
    vi.useFakeTimers();
    const extending = storeExtending(async () => false);
    const { flight, logger } = flightOver(extending.store, 60);
    const done = deferred<void>();
    const running = flight.run("lock-lost", async () => (await done.promise, "value"), text);
    // A beat every 20 ms: the first finds the lock gone; no other follows.
    await vi.advanceTimersByTimeAsync(200);
    expect(extending.calls()).toBe(1);
    done.resolve();
    expect(await running).toEqual({ value: "value", role: "leader" });
    expect(logger.lines).toEqual([
      { level: "warn", fields: { lockTtlMs: 60 }, message: "single-flight: the lock was lost while its leader worked (expired or dropped by the store); another leader may start" },
    ]);
  });
});
