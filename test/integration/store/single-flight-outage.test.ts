import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import type { Store } from "../../../src/store/store.types.js";
import { createSingleFlight, type SingleFlight } from "../../../src/coordination/single-flight.js";
import { eventually, findFreePort, rawRedis, startRedisServer, type RedisServerProcess } from "./redis-test-support.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";

const redisServer = probeRedisServerBinary();

const text = { encode: (value: string) => Buffer.from(value), decode: (bytes: Buffer) => bytes.toString() };

describeNeeding(redisServer, "single-flight on the resilient store while Redis dies and comes back", () => {
  let server: RedisServerProcess | undefined;
  let port: number;
  let store: Store;
  let flight: SingleFlight;

  beforeAll(async () => {
    port = await findFreePort();
    server = await startRedisServer(port);
    const primary = createRedisStore({ url: server.url, keyPrefix: "test:sf-outage:", commandTimeoutMs: 300, reconnectMaxDelayMs: 200 });
    store = createResilientStore({ primary, probeIntervalMs: 50 });
    flight = createSingleFlight({ store, keyspace: createKeyspace({ secret: randomBytes(32) }), lockTtlMs: 5_000, waitTimeoutMs: 5_000, pollIntervalMs: 20 });
  });

  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  /** 20 concurrent identical runs; returns how many times fn ran and what the callers got. */
  async function storm(key: string, beforeFinishing: () => Promise<void> = async () => {}) {
    let calls = 0;
    const fn = async () => {
      calls += 1;
      await beforeFinishing();
      return `token-${key}`;
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => flight.run(key, fn, text)));
    return { calls, values: new Set(results.map((result) => result.value)), leaders: results.filter((result) => result.role === "leader").length };
  }

  it("serves every caller of a flight whose Redis is killed while the leader is mid-call", async () => {
    const outcome = await storm("killed-mid-call", async () => {
      await server!.stop();
    });
    expect(outcome).toEqual({ calls: 1, values: new Set(["token-killed-mid-call"]), leaders: 1 });
    expect((await store.health()).status).toBe("degraded");
  });

  it("still makes one call per storm while Redis is down", async () => {
    expect(await storm("while-down")).toEqual({ calls: 1, values: new Set(["token-while-down"]), leaders: 1 });
  });

  it("shares through Redis again once it is back on the same port, without a restart", async () => {
    server = await startRedisServer(port);
    await eventually("the store is up again", async () => (await store.health()).status === "up");
    expect(await storm("after-recovery")).toEqual({
      calls: 1,
      values: new Set(["token-after-recovery"]),
      leaders: 1,
    });
    const raw = rawRedis(server.url);
    expect(await raw.keys("test:sf-outage:idc:v1:sf-result:*")).toHaveLength(1);
    raw.disconnect();
  });
});
