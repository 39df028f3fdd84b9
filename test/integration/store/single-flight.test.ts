import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { createSingleFlight, type SingleFlightCodec, type SingleFlightOptions } from "../../../src/coordination/single-flight.js";
import { describeNeeding, probeSharedRedis, type TestDependency } from "../../support/test-dependencies.js";
import { heldCall, watchingLocks } from "./flight-interleaving.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, eventually, rawRedis, recordingLogger, uniqueKeyPrefix } from "./redis-test-support.js";

const sharedRedis = await probeSharedRedis();
const prefix = uniqueKeyPrefix("single-flight");
const keyspace = createKeyspace({ secret: randomBytes(32) });
const stores: Store[] = [];

/** Two handles on one shared state: two Redis connections (as two processes have), or one memory store. */
type Backend = { name: string; needs: TestDependency[]; pair: () => [Store, Store] };
const backends: Backend[] = [
  {
    name: "memory",
    needs: [],
    pair: () => {
      const store = createMemoryStore();
      stores.push(store);
      return [store, store];
    },
  },
  {
    name: "redis",
    needs: [sharedRedis],
    pair: () => {
      const first = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix });
      const second = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix });
      stores.push(first, second);
      return [first, second];
    },
  },
];

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  if (sharedRedis.missing !== undefined) return;
  const raw = rawRedis();
  await deleteKeysWithPrefix(raw, prefix);
  raw.disconnect();
});

const text: SingleFlightCodec<string> = {
  encode: (value) => Buffer.from(value, "utf8"),
  decode: (bytes) => bytes.toString("utf8"),
};

function flightOver(store: Store, overrides: Partial<SingleFlightOptions> = {}) {
  return createSingleFlight({ store, keyspace, lockTtlMs: 5_000, waitTimeoutMs: 5_000, pollIntervalMs: 20, ...overrides });
}

/** fn that records its calls and returns `value` at once. */
function recordedCall(value: string) {
  const calls: string[] = [];
  const fn = async () => (calls.push(value), value);
  return [fn, calls] as const;
}

for (const { name, needs, pair } of backends) describeNeeding(needs, `single-flight over the ${name} store`, () => {
  it("makes 50 concurrent calls in one process share one fn call", async () => {
    const [store] = pair();
    const flight = flightOver(store);
    const { fn, calls, release } = heldCall("token-A");
    const running = Promise.all(Array.from({ length: 50 }, () => flight.run("one-process", fn, text)));
    // The other 49 joined the leader's promise synchronously, inside run(); only then may fn finish.
    await eventually("the leader's fn started", () => calls.length === 1);
    release();
    const results = await running;
    expect(calls).toEqual(["token-A"]);
    expect(results.filter((result) => result.role === "leader")).toEqual([{ value: "token-A", role: "leader" }]);
    expect(results.filter((result) => result.role === "follower")).toHaveLength(49);
    expect(new Set(results.map((result) => result.value))).toEqual(new Set(["token-A"]));
  });

  it("makes two processes (two store handles) share one fn call and the same result", async () => {
    const [first, second] = pair();
    const heldA = heldCall("token-from-A");
    const heldB = heldCall("token-from-B");
    const [callsA, callsB] = [heldA.calls, heldB.calls];
    const lockA = watchingLocks(first);
    const lockB = watchingLocks(second);
    const flightA = flightOver(lockA.store);
    const flightB = flightOver(lockB.store);
    // Interleaved, so both handles race for the lock from the first call on.
    const running = Promise.all(
      Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? flightA.run("two-processes", heldA.fn, text) : flightB.run("two-processes", heldB.fn, text))),
    );
    // The loser is following once its one lock attempt has lost: only then may the winner finish.
    await eventually("one handle lost the lock", () => lockA.lost() + lockB.lost() === 1);
    heldA.release();
    heldB.release();
    const results = await running;
    expect(callsA.length + callsB.length).toBe(1);
    const winner = [...callsA, ...callsB][0];
    expect(results.map((result) => result.value)).toEqual(Array(50).fill(winner));
    expect(results.filter((result) => result.role === "leader")).toHaveLength(1);
  });

  it("lets a follower take over once a leader that never finishes lets its lock expire", async () => {
    const [first, second] = pair();
    const { lines, logger } = recordingLogger();
    const stuck = flightOver(first, { lockTtlMs: 300 });
    const rescuerLocks = watchingLocks(second);
    const rescuer = flightOver(rescuerLocks.store, { lockTtlMs: 300, logger });
    let stuckStarted = false;
    void stuck.run("dead-leader", () => ((stuckStarted = true), new Promise<string>(() => {})), text);
    await eventually("the stuck leader's fn started", () => stuckStarted);
    const [fn, calls] = recordedCall("token-rescued");
    const result = await rescuer.run("dead-leader", fn, text);
    expect(result).toEqual({ value: "token-rescued", role: "leader" });
    expect(calls).toEqual(["token-rescued"]);
    // It followed the live lock first, and took the lock only once the stuck leader's had expired.
    expect(rescuerLocks.outcomes).toEqual([false, true]);
    expect(lines).toEqual([{ level: "warn", fields: { lockTtlMs: 300 }, message: "single-flight: the lock was freed without a result (leader gone, or its error not shared); taking over" }]);
  });

  it("hands the leader's GatewayError to every follower instead of calling again", async () => {
    const [first, second] = pair();
    let calls = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const failing = async (): Promise<string> => {
      calls += 1;
      await released;
      throw new GatewayError("INVALID_GRANT", "The refresh token was revoked.", { awsException: "InvalidGrantException", awsRequestId: "req-1" });
    };
    const onFirst = watchingLocks(first);
    const onSecond = watchingLocks(second);
    const settling = Promise.allSettled([
      flightOver(onFirst.store).run("failing", failing, text),
      ...Array.from({ length: 5 }, () => flightOver(onSecond.store).run("failing", failing, text)),
    ]);
    // Whichever of the six took the lock, the other five follow once their attempts have lost.
    await eventually("five followers lost the lock", () => onFirst.lost() + onSecond.lost() === 5);
    release();
    const outcomes = await settling;
    expect(calls).toBe(1);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      const error = (outcome as PromiseRejectedResult).reason as GatewayError;
      expect(error).toBeInstanceOf(GatewayError);
      expect({ code: error.code, message: error.message, details: error.details }).toEqual({
        code: "INVALID_GRANT",
        message: "The refresh token was revoked.",
        details: { awsException: "InvalidGrantException", awsRequestId: "req-1" },
      });
    }
  });

  it("lets a follower run fn itself when the leader's error is not to be shared", async () => {
    const [first, second] = pair();
    const calls: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const codec: SingleFlightCodec<string> = { ...text, shareError: () => undefined };
    const leader = flightOver(first).run(
      "unshared",
      async () => {
        calls.push("leader");
        await released;
        throw new GatewayError("UPSTREAM_UNAVAILABLE");
      },
      codec,
    );
    await eventually("the leader's fn started", () => calls.length === 1);
    const followerLocks = watchingLocks(second);
    const follower = flightOver(followerLocks.store).run("unshared", async () => (calls.push("follower"), "token-retry"), codec);
    await eventually("the follower lost the lock to the leader", () => followerLocks.lost() === 1);
    release();
    await expect(leader).rejects.toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    expect(await follower).toEqual({ value: "token-retry", role: "leader" });
    expect(calls).toEqual(["leader", "follower"]);
    // Waited on the leader first, then took the lock the leader freed without a result.
    expect(followerLocks.outcomes).toEqual([false, true]);
  });

  it("gives up waiting after waitTimeoutMs with UPSTREAM_UNAVAILABLE while the leader still holds the lock", async () => {
    const [first, second] = pair();
    let slowStarted = false;
    void flightOver(first).run("slow-leader", () => ((slowStarted = true), new Promise<string>(() => {})), text);
    await eventually("the slow leader's fn started", () => slowStarted);
    // Set before the follower starts, with (nearly) its wait as TTL: gone by the time it may give up.
    // The 20 ms less absorbs the millisecond rounding of the store's clock against the flight's.
    await second.set("wait-witness", Buffer.from("w"), 180);
    const error = await flightOver(second, { waitTimeoutMs: 200 })
      .run("slow-leader", async () => "never", text)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", message: "Timed out waiting for an identical request in flight to finish." });
    expect(await second.get("wait-witness")).toBeNull();
  });

  it("serves a call arriving just after the leader finished from the handed-off result", async () => {
    const [first, second] = pair();
    const [fn, calls] = recordedCall("token-recent");
    expect(await flightOver(first).run("recent", fn, text)).toEqual({ value: "token-recent", role: "leader" });
    expect(await flightOver(second).run("recent", fn, text)).toEqual({ value: "token-recent", role: "follower" });
    expect(calls).toEqual(["token-recent"]);
  });

  it("with reuseFinishedResults false, shares the result with callers that joined the flight, but runs fn again for a call after it finished", async () => {
    const [first, second] = pair();
    const { fn, calls, release } = heldCall("single-use");
    const lockB = watchingLocks(second);
    const flightA = flightOver(first, { reuseFinishedResults: false });
    const flightB = flightOver(lockB.store, { reuseFinishedResults: false });
    const leader = flightA.run("single-use", fn, text);
    await eventually("the leader's fn started", () => calls.length === 1);
    const joining = Promise.all([flightB.run("single-use", fn, text), flightA.run("single-use", fn, text)]);
    await eventually("the other handle lost the lock and follows", () => lockB.lost() === 1);
    release();
    const joined = await joining;
    expect(await leader).toEqual({ value: "single-use", role: "leader" });
    expect(joined).toEqual([{ value: "single-use", role: "follower" }, { value: "single-use", role: "follower" }]);
    expect(calls).toEqual(["single-use"]);
    expect(await flightB.run("single-use", fn, text)).toEqual({ value: "single-use", role: "leader" });
    expect(calls).toEqual(["single-use", "single-use"]);
  });
});

describeNeeding(sharedRedis, "single-flight's footprint in Redis", () => {
  it("leaves no lock behind and no secret input or token in any key or value", async () => {
    const ownPrefix = `${prefix}footprint:`; // away from the other tests' deliberately stuck locks
    const store = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: ownPrefix });
    stores.push(store);
    const refreshToken = `refresh-${randomBytes(12).toString("hex")}`;
    const accessToken = `access-${randomBytes(12).toString("hex")}`;
    await flightOver(store).run(`client|refresh|${refreshToken}`, async () => accessToken, text);
    const raw = rawRedis();
    const keys = await raw.keys(`${ownPrefix}*`);
    expect(keys.map((key) => key.slice(ownPrefix.length).replace(/:[A-Za-z0-9_-]{43}$/, ":<digest>"))).toEqual(["idc:v1:sf-result:<digest>"]);
    for (const key of keys) {
      expect(key).not.toContain(refreshToken.slice(8));
      const value = (await raw.getBuffer(key)) ?? Buffer.alloc(0);
      expect(value.includes(accessToken.slice(7))).toBe(false);
      expect(value.includes(refreshToken.slice(8))).toBe(false);
    }
    raw.disconnect();
  });
});

describe("createSingleFlight", () => {
  it("refuses timings that are not positive integers, restating the contract", () => {
    const store = createMemoryStore();
    expect(() => createSingleFlight({ store, keyspace, lockTtlMs: 0, waitTimeoutMs: 1_000 })).toThrow(
      "createSingleFlight: lockTtlMs must be a positive integer (got 0)",
    );
    expect(() => createSingleFlight({ store, keyspace, lockTtlMs: 1_000, waitTimeoutMs: undefined as unknown as number })).toThrow(
      "createSingleFlight: waitTimeoutMs must be a positive integer (got undefined)",
    );
  });
});
