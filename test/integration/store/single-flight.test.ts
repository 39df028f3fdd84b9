import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { createSingleFlight, type SingleFlightCodec, type SingleFlightOptions } from "../../../src/tokens/coordination/single-flight.js";
import {
  SHARED_REDIS_URL,
  deleteKeysWithPrefix,
  eventually,
  isSharedRedisReachable,
  rawRedis,
  recordingLogger,
  sleep,
  uniqueKeyPrefix,
  warnRedisMissing,
} from "./redis-test-support.js";

const redisReachable = await isSharedRedisReachable();
if (!redisReachable) warnRedisMissing("single-flight.test.ts (redis backend)");
const prefix = uniqueKeyPrefix("single-flight");
const keyspace = createKeyspace({ secret: randomBytes(32) });
const stores: Store[] = [];

/** Two handles on one shared state: two Redis connections (as two processes have), or one memory store. */
type Backend = { name: string; pair: () => [Store, Store] };
const backends: Backend[] = [
  {
    name: "memory",
    pair: () => {
      const store = createMemoryStore();
      stores.push(store);
      return [store, store];
    },
  },
  ...(redisReachable
    ? [
        {
          name: "redis",
          pair: (): [Store, Store] => {
            const first = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix });
            const second = createRedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix });
            stores.push(first, second);
            return [first, second];
          },
        },
      ]
    : []),
];

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  if (!redisReachable) return;
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

/** fn that records its calls, resolves after `ms`, and returns `value`. */
function recordedCall(value: string, ms = 100) {
  const calls: string[] = [];
  const fn = async () => {
    calls.push(value);
    await sleep(ms);
    return value;
  };
  return [fn, calls] as const;
}

describe.each(backends)("single-flight over the $name store", ({ pair }) => {
  it("makes 50 concurrent calls in one process share one fn call", async () => {
    const [store] = pair();
    const flight = flightOver(store);
    const [fn, calls] = recordedCall("token-A");
    const results = await Promise.all(Array.from({ length: 50 }, () => flight.run("one-process", fn, text)));
    expect(calls).toEqual(["token-A"]);
    expect(results.filter((result) => result.role === "leader")).toEqual([{ value: "token-A", role: "leader" }]);
    expect(results.filter((result) => result.role === "follower")).toHaveLength(49);
    expect(new Set(results.map((result) => result.value))).toEqual(new Set(["token-A"]));
  });

  it("makes two processes (two store handles) share one fn call and the same result", async () => {
    const [first, second] = pair();
    const [fnA, callsA] = recordedCall("token-from-A");
    const [fnB, callsB] = recordedCall("token-from-B");
    const flightA = flightOver(first);
    const flightB = flightOver(second);
    // Interleaved, so both handles race for the lock from the first call on.
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? flightA.run("two-processes", fnA, text) : flightB.run("two-processes", fnB, text))),
    );
    expect(callsA.length + callsB.length).toBe(1);
    const winner = [...callsA, ...callsB][0];
    expect(results.map((result) => result.value)).toEqual(Array(50).fill(winner));
    expect(results.filter((result) => result.role === "leader")).toHaveLength(1);
  });

  it("lets a follower take over once a leader that never finishes lets its lock expire", async () => {
    const [first, second] = pair();
    const { lines, logger } = recordingLogger();
    const stuck = flightOver(first, { lockTtlMs: 300 });
    const rescuer = flightOver(second, { lockTtlMs: 300, logger });
    let stuckStarted = false;
    void stuck.run("dead-leader", () => ((stuckStarted = true), new Promise<string>(() => {})), text);
    await eventually("the stuck leader's fn started", () => stuckStarted);
    const [fn, calls] = recordedCall("token-rescued", 10);
    const started = Date.now();
    const result = await rescuer.run("dead-leader", fn, text);
    expect(result).toEqual({ value: "token-rescued", role: "leader" });
    expect(calls).toEqual(["token-rescued"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(230);
    expect(lines.map((line) => line.message)).toEqual(["single-flight: the lock was freed without a result (leader gone, or its error not shared); taking over"]);
  });

  it("hands the leader's GatewayError to every follower instead of calling again", async () => {
    const [first, second] = pair();
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls += 1;
      await sleep(80);
      throw new GatewayError("INVALID_GRANT", "The refresh token was revoked.", { awsException: "InvalidGrantException", awsRequestId: "req-1" });
    };
    const outcomes = await Promise.allSettled([
      flightOver(first).run("failing", failing, text),
      ...Array.from({ length: 5 }, () => flightOver(second).run("failing", failing, text)),
    ]);
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
    const codec: SingleFlightCodec<string> = { ...text, shareError: () => undefined };
    const leader = flightOver(first).run(
      "unshared",
      async () => {
        calls.push("leader");
        await sleep(80);
        throw new GatewayError("UPSTREAM_UNAVAILABLE");
      },
      codec,
    );
    await eventually("the leader's fn started", () => calls.length === 1);
    const follower = flightOver(second).run("unshared", async () => (calls.push("follower"), "token-retry"), codec);
    await expect(leader).rejects.toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    expect(await follower).toEqual({ value: "token-retry", role: "leader" });
    expect(calls).toEqual(["leader", "follower"]);
  });

  it("gives up waiting after waitTimeoutMs with UPSTREAM_UNAVAILABLE while the leader still holds the lock", async () => {
    const [first, second] = pair();
    let slowStarted = false;
    void flightOver(first).run("slow-leader", () => ((slowStarted = true), new Promise<string>(() => {})), text);
    await eventually("the slow leader's fn started", () => slowStarted);
    const started = Date.now();
    const error = await flightOver(second, { waitTimeoutMs: 200 })
      .run("slow-leader", async () => "never", text)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", message: "Timed out waiting for an identical request in flight to finish." });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(600);
  });

  it("serves a call arriving just after the leader finished from the handed-off result", async () => {
    const [first, second] = pair();
    const [fn, calls] = recordedCall("token-recent", 10);
    expect(await flightOver(first).run("recent", fn, text)).toEqual({ value: "token-recent", role: "leader" });
    expect(await flightOver(second).run("recent", fn, text)).toEqual({ value: "token-recent", role: "follower" });
    expect(calls).toEqual(["token-recent"]);
  });

  it("with reuseFinishedResults false, shares the result with callers that joined the flight, but runs fn again for a call after it finished", async () => {
    const [first, second] = pair();
    const [fn, calls] = recordedCall("single-use", 100);
    const flightA = flightOver(first, { reuseFinishedResults: false });
    const flightB = flightOver(second, { reuseFinishedResults: false });
    const leader = flightA.run("single-use", fn, text);
    await sleep(30);
    const joined = await Promise.all([flightB.run("single-use", fn, text), flightA.run("single-use", fn, text)]);
    expect(await leader).toEqual({ value: "single-use", role: "leader" });
    expect(joined).toEqual([{ value: "single-use", role: "follower" }, { value: "single-use", role: "follower" }]);
    expect(calls).toEqual(["single-use"]);
    expect(await flightB.run("single-use", fn, text)).toEqual({ value: "single-use", role: "leader" });
    expect(calls).toEqual(["single-use", "single-use"]);
  });
});

describe.skipIf(!redisReachable)("single-flight's footprint in Redis", () => {
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
